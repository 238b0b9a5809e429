// The files of a sharded GGUF (`name-00001-of-00003.gguf` and its siblings);
// a single-file model is its own only shard. The native reader loads them as
// one model; sizes and digests cover them all.
import { existsSync } from 'node:fs'

const SHARD = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/i

export function ggufShards(path: string): string[] {
  const m = SHARD.exec(path)
  if (!m) return [path]
  const count = Number(m[3])
  const files: string[] = []
  for (let i = 1; i <= count; i++) {
    const p = `${m[1]}-${String(i).padStart(5, '0')}-of-${m[3]}.gguf`
    if (existsSync(p)) files.push(p)
  }
  return files
}
