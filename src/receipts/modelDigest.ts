// The model digest a task names: sha256 over a canonical manifest of the
// weight files, so the same weights give the same digest wherever they sit.
// Manifest = one line per file, sorted by relative name:
//   "<relative/name>\t<size>\t<sha256 hex>\n"

import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { dirname, join, relative, sep } from 'node:path'
import type { Hex } from 'viem'
import { ggufShards } from '../engine/ggufShards.ts'
import { ModelDigestError } from './errors.ts'

export type ModelDigestParameters = {
  /** Weight files (absolute); names in the manifest are relative to `root`. */
  files: string[]
  /** Defaults to the common folder of `files`. */
  root?: string
}

export type ModelDigestReturnType = {
  digest: Hex
  manifest: string
  entries: { name: string; size: number; sha256: string }[]
}

const WEIGHT_FILE = /\.(gguf|safetensors)$/

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk)
  return hash.digest('hex')
}

/** Digest of a weight file set (streamed; never loads a file in memory). */
export async function modelDigest(
  p: ModelDigestParameters,
): Promise<ModelDigestReturnType> {
  if (p.files.length === 0)
    throw new ModelDigestError('A model digest needs at least one file.')
  const root = p.root ?? commonFolder(p.files)
  const entries = []
  for (const file of p.files) {
    const info = await stat(file).catch((cause) => {
      throw new ModelDigestError(`Cannot read weight file "${file}".`, {
        cause,
      })
    })
    const name = relative(root, file).split(sep).join('/')
    entries.push({ name, size: info.size, sha256: await sha256File(file) })
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const manifest = entries
    .map((e) => `${e.name}\t${e.size}\t${e.sha256}\n`)
    .join('')
  const digest =
    `0x${createHash('sha256').update(manifest).digest('hex')}` as Hex
  return { digest, manifest, entries }
}

/**
 * The weight files of a model path: a `.gguf` file (all shards of a sharded
 * one) or a safetensors folder.
 */
export async function weightFiles(path: string): Promise<string[]> {
  const info = await stat(path)
  if (info.isFile()) return ggufShards(path)
  const names = await readdir(path)
  return names
    .filter((n) => WEIGHT_FILE.test(n))
    .sort()
    .map((n) => join(path, n))
}

/** Digest of the model at `path` (file or folder), names relative to it. */
export async function modelDigestOfPath(
  path: string,
): Promise<ModelDigestReturnType> {
  const files = await weightFiles(path)
  const info = await stat(path)
  return modelDigest({ files, root: info.isFile() ? dirname(path) : path })
}

function commonFolder(files: string[]): string {
  if (files.length === 1) return dirname(files[0] as string)
  const parts = files.map((f) => dirname(f).split(sep))
  const first = parts[0] as string[]
  let n = first.length
  for (const p of parts) {
    let i = 0
    while (i < n && p[i] === first[i]) i++
    n = i
  }
  const common = first.slice(0, n).join(sep)
  return common || sep
}
