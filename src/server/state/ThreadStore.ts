// /api/v1/chat's stateful threads (response_id -> the whole conversation),
// kept in a ResponseStore: bounded (oldest dropped first) and, with a
// folder, persisted as JSON so a restarted server can continue them.
// Image parts are written as base64.
import type { ChatMessage, ContentPart } from '../../engine/types.ts'
import { ResponseStore, type ResponseStoreOptions } from './ResponseStore.ts'

type StoredPart =
  | { type: 'text'; text: string }
  | { type: 'image'; mimeType: string; base64: string }

export class ThreadStore {
  readonly #store: ResponseStore

  constructor(options: ResponseStoreOptions = {}) {
    this.#store = new ResponseStore(options)
  }

  get(id: string): ChatMessage[] | undefined {
    const stored = this.#store.get(id)
    return stored ? (stored.input as ChatMessage[]).map(decode) : undefined
  }

  set(id: string, messages: ChatMessage[]): void {
    this.#store.put({
      response: { id, created_at: Math.floor(Date.now() / 1000) },
      input: messages.map(encode),
    })
  }
}

function encode(m: ChatMessage): unknown {
  if (!Array.isArray(m.content)) return m
  return {
    ...m,
    content: m.content.map(
      (p): StoredPart =>
        p.type === 'image'
          ? {
              type: 'image',
              mimeType: p.mimeType,
              base64: Buffer.from(p.data).toString('base64'),
            }
          : p,
    ),
  }
}

function decode(m: ChatMessage): ChatMessage {
  if (!Array.isArray(m.content)) return m
  return {
    ...m,
    content: (m.content as unknown as StoredPart[]).map(
      (p): ContentPart =>
        p.type === 'image'
          ? {
              type: 'image',
              mimeType: p.mimeType,
              data: new Uint8Array(Buffer.from(p.base64, 'base64')),
            }
          : p,
    ),
  }
}
