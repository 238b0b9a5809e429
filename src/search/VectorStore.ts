// A persisted vector store: SQLite (node:sqlite) with the sqlite-vec
// extension. Chunks live in a plain table; their vectors in a vec0 virtual
// table with cosine distance, queried by exact KNN.
import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import type { DatabaseSync } from 'node:sqlite'
import { BaseError } from '../engine/errors.ts'

export class SearchIndexError extends BaseError {
  override name = 'SearchIndexError' as const
}

export type StoredChunk = {
  path: string
  startLine: number
  endLine: number
  text: string
}

export type SearchHit = StoredChunk & { score: number }

const require = createRequire(import.meta.url)

export class VectorStore {
  readonly path: string
  #db: DatabaseSync
  #dims: number | undefined

  private constructor(path: string, db: DatabaseSync) {
    this.path = path
    this.#db = db
  }

  /** Opens (creating if needed) the index at `path` (":memory:" works too). */
  static open(path: string): VectorStore {
    // node:sqlite is loaded lazily: importing it prints an experimental warning.
    const { DatabaseSync } =
      require('node:sqlite') as typeof import('node:sqlite')
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
    const db = new DatabaseSync(path, { allowExtension: true })
    db.loadExtension(
      (
        require('sqlite-vec') as { getLoadablePath(): string }
      ).getLoadablePath(),
    )
    db.exec(`
      create table if not exists meta (key text primary key, value text not null);
      create table if not exists files (
        id integer primary key, path text unique not null, mtime_ms real not null, size integer not null);
      create table if not exists chunks (
        id integer primary key, file_id integer not null references files(id),
        start_line integer not null, end_line integer not null, text text not null);
      create index if not exists chunks_file on chunks(file_id);`)
    const store = new VectorStore(path, db)
    const dims = store.meta('dimensions')
    if (dims) store.#dims = Number(dims)
    return store
  }

  meta(key: string): string | undefined {
    const row = this.#db
      .prepare('select value from meta where key = ?')
      .get(key) as { value: string } | undefined
    return row?.value
  }

  /** Binds the index to one embedding model; a different one is an error. */
  ensureModel(model: string, dimensions: number): void {
    const existing = this.meta('model')
    if (existing && (existing !== model || this.#dims !== dimensions))
      throw new SearchIndexError(
        `The index at ${this.path} was built with ${existing} (${this.#dims} dims).`,
        {
          details: `Use the same model, or a new index for ${model}.`,
        },
      )
    if (existing) return
    const set = this.#db.prepare(
      'insert or replace into meta (key, value) values (?, ?)',
    )
    set.run('model', model)
    set.run('dimensions', String(dimensions))
    this.#db.exec(
      `create virtual table if not exists vec_chunks using vec0(embedding float[${dimensions}] distance_metric=cosine)`,
    )
    this.#dims = dimensions
  }

  fileState(path: string): { mtimeMs: number; size: number } | undefined {
    const row = this.#db
      .prepare('select mtime_ms, size from files where path = ?')
      .get(path) as { mtime_ms: number; size: number } | undefined
    return row ? { mtimeMs: row.mtime_ms, size: row.size } : undefined
  }

  /** Replaces every chunk of `path` with `chunks` (one transaction). */
  replaceFile(
    path: string,
    state: { mtimeMs: number; size: number },
    chunks: {
      startLine: number
      endLine: number
      text: string
      vector: Float32Array
    }[],
  ): void {
    const db = this.#db
    db.exec('begin')
    try {
      this.#deleteFile(path)
      const { lastInsertRowid: fileId } = db
        .prepare('insert into files (path, mtime_ms, size) values (?, ?, ?)')
        .run(path, state.mtimeMs, state.size)
      const addChunk = db.prepare(
        'insert into chunks (file_id, start_line, end_line, text) values (?, ?, ?, ?)',
      )
      const addVec = db.prepare(
        'insert into vec_chunks (rowid, embedding) values (?, ?)',
      )
      for (const c of chunks) {
        if (c.vector.length !== this.#dims)
          throw new SearchIndexError(
            'Vector has the wrong number of dimensions.',
          )
        const { lastInsertRowid } = addChunk.run(
          fileId,
          c.startLine,
          c.endLine,
          c.text,
        )
        addVec.run(
          BigInt(lastInsertRowid),
          new Uint8Array(
            c.vector.buffer,
            c.vector.byteOffset,
            c.vector.byteLength,
          ),
        )
      }
      db.exec('commit')
    } catch (e) {
      db.exec('rollback')
      throw e
    }
  }

  removeFile(path: string): void {
    this.#deleteFile(path)
  }

  #deleteFile(path: string): void {
    const db = this.#db
    const file = db.prepare('select id from files where path = ?').get(path) as
      | { id: number }
      | undefined
    if (!file) return
    const ids = db
      .prepare('select id from chunks where file_id = ?')
      .all(file.id) as { id: number }[]
    const delVec = db.prepare('delete from vec_chunks where rowid = ?')
    for (const { id } of ids) delVec.run(BigInt(id))
    db.prepare('delete from chunks where file_id = ?').run(file.id)
    db.prepare('delete from files where id = ?').run(file.id)
  }

  /** The k nearest chunks to `vector`, best first; score = cosine similarity. */
  query(vector: Float32Array, k: number): SearchHit[] {
    if (this.#dims === undefined) return []
    if (vector.length !== this.#dims)
      throw new SearchIndexError(
        `Query has ${vector.length} dimensions; the index has ${this.#dims}.`,
      )
    const rows = this.#db
      .prepare(
        `select f.path, c.start_line, c.end_line, c.text, v.distance
         from (select rowid, distance from vec_chunks where embedding match ? and k = ?) v
         join chunks c on c.id = v.rowid join files f on f.id = c.file_id
         order by v.distance`,
      )
      .all(
        new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength),
        k,
      ) as {
      path: string
      start_line: number
      end_line: number
      text: string
      distance: number
    }[]
    return rows.map((r) => ({
      path: r.path,
      startLine: r.start_line,
      endLine: r.end_line,
      text: r.text,
      score: 1 - r.distance,
    }))
  }

  stats(): {
    files: number
    chunks: number
    model?: string
    dimensions?: number
  } {
    const n = (sql: string) => (this.#db.prepare(sql).get() as { n: number }).n
    return {
      files: n('select count(*) n from files'),
      chunks: n('select count(*) n from chunks'),
      model: this.meta('model'),
      dimensions: this.#dims,
    }
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close()
  }

  [Symbol.dispose](): void {
    this.close()
  }
}
