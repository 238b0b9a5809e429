// Adds files or folders to a vector store: walks folders (skipping hidden
// folders, node_modules and binary or huge files), re-embeds only files
// whose size or mtime changed, and stores one vector per line span.
import { existsSync } from 'node:fs'
import { readdir, readFile, stat } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { InvalidOptionError } from '../engine/errors.ts'
import { chunkText } from './chunkText.ts'
import type { Embedder } from './types.ts'
import type { VectorStore } from './VectorStore.ts'

export type IndexFilesOptions = {
  /** Model id recorded in the index (default: the embedder's path). */
  model?: string
  /** Largest file indexed, in bytes (default 2 MiB). */
  maxFileBytes?: number
  maxChars?: number
  onProgress?: (event: {
    path: string
    chunks: number
    skipped?: string
  }) => void
}

export type IndexFilesReturnType = {
  indexed: number
  unchanged: number
  skipped: number
  chunks: number
}

const SKIP_DIRS = new Set([
  'node_modules',
  '.git',
  'build',
  'dist',
  '__pycache__',
])

export async function indexFiles(
  store: VectorStore,
  embedder: Embedder,
  paths: string[],
  options: IndexFilesOptions = {},
): Promise<IndexFilesReturnType> {
  for (const p of paths)
    if (!existsSync(p))
      throw new InvalidOptionError('paths', `${p} does not exist`)
  store.ensureModel(options.model ?? embedder.info.path, embedder.dimensions)
  const result = { indexed: 0, unchanged: 0, skipped: 0, chunks: 0 }
  const maxBytes = options.maxFileBytes ?? 2 * 1024 * 1024
  for await (const file of walk(paths.map((p) => resolve(p)))) {
    const info = await stat(file)
    const skip = (why: string) => {
      result.skipped++
      options.onProgress?.({ path: file, chunks: 0, skipped: why })
    }
    if (info.size > maxBytes) {
      skip('too large')
      continue
    }
    const previous = store.fileState(file)
    if (
      previous &&
      previous.mtimeMs === info.mtimeMs &&
      previous.size === info.size
    ) {
      result.unchanged++
      continue
    }
    const bytes = await readFile(file)
    if (bytes.includes(0)) {
      skip('binary')
      continue
    }
    const spans = chunkText(bytes.toString('utf8'), {
      maxChars: options.maxChars,
    })
    const vectors = spans.length
      ? (await embedder.embed(spans.map((s) => s.text))).vectors
      : []
    store.replaceFile(
      file,
      { mtimeMs: info.mtimeMs, size: info.size },
      spans.map((s, i) => ({ ...s, vector: vectors[i] as Float32Array })),
    )
    result.indexed++
    result.chunks += spans.length
    options.onProgress?.({ path: file, chunks: spans.length })
  }
  return result
}

async function* walk(paths: string[]): AsyncGenerator<string> {
  for (const p of paths) {
    const info = await stat(p)
    if (info.isFile()) {
      yield p
    } else if (info.isDirectory()) {
      const entries = await readdir(p, { withFileTypes: true })
      entries.sort((a, b) => a.name.localeCompare(b.name))
      for (const e of entries) {
        if (
          e.isDirectory() &&
          (e.name.startsWith('.') || SKIP_DIRS.has(e.name))
        )
          continue
        if (e.isFile() && basename(e.name).startsWith('.')) continue
        if (e.isDirectory() || e.isFile()) yield* walk([join(p, e.name)])
      }
    }
  }
}
