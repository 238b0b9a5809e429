// Conversations kept in the browser (IndexedDB database "pocket-chat", one
// object store keyed by id), listed newest first, and exported as JSON.
import type { Conversation } from './types.ts'

const DB = 'pocket-chat'
const STORE = 'conversations'

export class ConversationStore {
  readonly #factory: IDBFactory
  #db: Promise<IDBDatabase> | null = null

  constructor(factory: IDBFactory = indexedDB) {
    this.#factory = factory
  }

  #open(): Promise<IDBDatabase> {
    this.#db ??= new Promise((resolve, reject) => {
      const req = this.#factory.open(DB, 1)
      req.onupgradeneeded = () => {
        const store = req.result.createObjectStore(STORE, { keyPath: 'id' })
        store.createIndex('updatedAt', 'updatedAt')
      }
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    })
    return this.#db
  }

  async #run<T>(
    mode: IDBTransactionMode,
    op: (store: IDBObjectStore) => IDBRequest<T>,
  ): Promise<T> {
    const db = await this.#open()
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode)
      const req = op(tx.objectStore(STORE))
      tx.oncomplete = () => resolve(req.result)
      tx.onerror = () => reject(tx.error)
      tx.onabort = () => reject(tx.error)
    })
  }

  /** Every conversation, most recently updated first. */
  async list(): Promise<Conversation[]> {
    const all = await this.#run('readonly', (s) => s.getAll())
    return (all as Conversation[]).sort((a, b) => b.updatedAt - a.updatedAt)
  }

  async get(id: string): Promise<Conversation | null> {
    return ((await this.#run('readonly', (s) => s.get(id))) ??
      null) as Conversation | null
  }

  async put(conversation: Conversation): Promise<void> {
    // structured clone: no Preact state proxies or functions inside
    await this.#run('readwrite', (s) =>
      s.put(JSON.parse(JSON.stringify(conversation))),
    )
  }

  async remove(id: string): Promise<void> {
    await this.#run('readwrite', (s) => s.delete(id))
  }

  close(): void {
    void this.#db?.then((db) => db.close())
    this.#db = null
  }
}

/** A conversation as a JSON document (what "Export" downloads). */
export function exportConversation(c: Conversation): string {
  return JSON.stringify(
    {
      format: 'pocket-chat/1',
      exportedAt: new Date().toISOString(),
      conversation: c,
    },
    null,
    2,
  )
}

/** A title from the first user message. */
export function titleOf(c: Conversation): string {
  const first = c.messages.find((m) => m.role === 'user')?.content.trim()
  if (!first) return 'New chat'
  return first.length > 48 ? `${first.slice(0, 47)}…` : first
}
