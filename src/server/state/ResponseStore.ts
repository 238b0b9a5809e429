// Stored /v1/responses results, so `previous_response_id` can continue a
// conversation and GET / DELETE /v1/responses/{id} work. Bounded: past
// `maxResponses` the oldest are dropped. With a directory, each response is
// a JSON file there (written atomically), read back after a restart; a small
// in-memory cache keeps the recent ones. Without one, memory only.
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'

export type StoredResponse = {
  /** The Response object as returned to the client. */
  response: { id: string; created_at: number } & Record<string, unknown>
  /**
   * The conversation's input items up to this response (earlier turns and
   * this request's input; instructions excluded, as OpenAI does not carry
   * them over).
   */
  input: unknown[]
}

export type ResponseStoreOptions = {
  /** Folder for the JSON files; omit to keep responses in memory only. */
  dir?: string
  /** Most responses kept (default 1000). */
  maxResponses?: number
  /** Responses kept in memory when a folder is used (default 64). */
  cacheSize?: number
}

const ID = /^resp_[A-Za-z0-9_-]{1,100}$/

export class ResponseStore {
  readonly #dir: string | undefined
  readonly #max: number
  readonly #cacheSize: number
  /** Every stored id, oldest first. */
  readonly #order: string[] = []
  readonly #cache = new Map<string, StoredResponse>()

  constructor(options: ResponseStoreOptions = {}) {
    this.#dir = options.dir
    this.#max = Math.max(1, options.maxResponses ?? 1000)
    this.#cacheSize = options.dir ? (options.cacheSize ?? 64) : this.#max
    if (this.#dir) this.#loadIndex(this.#dir)
  }

  get size(): number {
    return this.#order.length
  }

  get(id: string): StoredResponse | undefined {
    if (!ID.test(id) || !this.#order.includes(id)) return undefined
    const hit = this.#cache.get(id)
    if (hit) {
      this.#cache.delete(id)
      this.#cache.set(id, hit)
      return hit
    }
    if (!this.#dir) return undefined
    try {
      const stored = JSON.parse(
        readFileSync(this.#file(this.#dir, id), 'utf8'),
      ) as StoredResponse
      this.#remember(id, stored)
      return stored
    } catch {
      return undefined
    }
  }

  put(stored: StoredResponse): void {
    const id = stored.response.id
    if (!ID.test(id)) throw new Error(`[ResponseStore] bad id ${id}`)
    if (this.#dir) {
      mkdirSync(this.#dir, { recursive: true })
      const file = this.#file(this.#dir, id)
      writeFileSync(`${file}.tmp`, JSON.stringify(stored))
      renameSync(`${file}.tmp`, file)
    }
    const at = this.#order.indexOf(id)
    if (at >= 0) this.#order.splice(at, 1)
    this.#order.push(id)
    this.#remember(id, stored)
    while (this.#order.length > this.#max) {
      const oldest = this.#order[0] as string
      this.delete(oldest)
    }
  }

  /** True when the id was stored. */
  delete(id: string): boolean {
    const at = this.#order.indexOf(id)
    if (at < 0) return false
    this.#order.splice(at, 1)
    this.#cache.delete(id)
    if (this.#dir) rmSync(this.#file(this.#dir, id), { force: true })
    return true
  }

  #remember(id: string, stored: StoredResponse): void {
    this.#cache.delete(id)
    this.#cache.set(id, stored)
    while (this.#cache.size > this.#cacheSize) {
      const oldest = this.#cache.keys().next().value as string
      this.#cache.delete(oldest)
    }
  }

  #file(dir: string, id: string): string {
    return join(dir, `${id}.json`)
  }

  /** Ids on disk, oldest first by modification time; the excess is dropped. */
  #loadIndex(dir: string): void {
    let names: string[]
    try {
      names = readdirSync(dir)
    } catch {
      return
    }
    const found = names
      .filter((n) => n.endsWith('.json') && ID.test(n.slice(0, -5)))
      .map((n) => ({
        id: n.slice(0, -5),
        at: statSync(join(dir, n)).mtimeMs,
      }))
      .sort((a, b) => a.at - b.at)
    for (const { id } of found) this.#order.push(id)
    while (this.#order.length > this.#max) this.delete(this.#order[0] as string)
  }
}
