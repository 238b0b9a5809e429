// The chat template of a model on disk, without loading it: GGUF's
// `tokenizer.chat_template` (found by walking the header's key/values, which
// may sit after vocabularies of several MiB), or a safetensors directory's
// `chat_template.jinja` / `tokenizer_config.json`. Null when there is none.
import { closeSync, openSync, readSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'

const CHUNK = 1 << 20
const MAX_HEADER = 256 << 20
const SCALAR: Record<number, number> = {
  0: 1,
  1: 1,
  2: 2,
  3: 2,
  4: 4,
  5: 4,
  6: 4,
  7: 1,
  10: 8,
  11: 8,
  12: 8,
}

export async function readChatTemplate(
  path: string,
  format: 'gguf' | 'safetensors',
): Promise<string | null> {
  if (format === 'gguf') {
    try {
      return ggufChatTemplate(path)
    } catch {
      return null
    }
  }
  const jinja = await readFile(join(path, 'chat_template.jinja'), 'utf8').catch(
    () => null,
  )
  if (jinja) return jinja
  const config = await readFile(join(path, 'tokenizer_config.json'), 'utf8')
    .then((t) => JSON.parse(t) as { chat_template?: unknown })
    .catch(() => null)
  const t = config?.chat_template
  if (typeof t === 'string') return t
  // Several named templates: the default one, else the first.
  if (Array.isArray(t)) {
    const named = t as { name?: string; template?: string }[]
    return (
      (named.find((x) => x.name === 'default') ?? named[0])?.template ?? null
    )
  }
  return null
}

/** Sequential reader over a file, refilling a 1 MiB window. */
class Reader {
  #fd: number
  #buf = Buffer.alloc(CHUNK)
  #start = 0
  #len = 0
  pos = 0
  constructor(fd: number) {
    this.#fd = fd
  }
  #need(n: number): number {
    if (this.pos + n > MAX_HEADER) throw new RangeError('header too long')
    if (this.pos < this.#start || this.pos + n > this.#start + this.#len) {
      if (n > this.#buf.length) this.#buf = Buffer.alloc(n)
      this.#start = this.pos
      this.#len = readSync(this.#fd, this.#buf, 0, this.#buf.length, this.pos)
      if (this.#len < n) throw new RangeError('truncated header')
    }
    const at = this.pos - this.#start
    this.pos += n
    return at
  }
  u32(): number {
    return this.#buf.readUInt32LE(this.#need(4))
  }
  u64(): number {
    return Number(this.#buf.readBigUInt64LE(this.#need(8)))
  }
  string(): string {
    const n = this.u64()
    const at = this.#need(n)
    return this.#buf.toString('utf8', at, at + n)
  }
  skip(type: number): void {
    if (type === 8) {
      const length = this.u64() // read before `pos` is
      this.pos += length
      return
    }
    if (type === 9) {
      const item = this.u32()
      const count = this.u64()
      if (item === 8 || item === 9)
        for (let i = 0; i < count; i++) this.skip(item)
      else this.pos += count * (SCALAR[item] ?? 0)
      return
    }
    const size = SCALAR[type]
    if (size === undefined) throw new RangeError(`unknown GGUF type ${type}`)
    this.pos += size
  }
}

function ggufChatTemplate(path: string): string | null {
  const fd = openSync(path, 'r')
  try {
    const r = new Reader(fd)
    if (r.u32() !== 0x46554747) return null // "GGUF"
    r.u32() // version
    r.u64() // tensor count
    const kvCount = r.u64()
    for (let i = 0; i < kvCount; i++) {
      const key = r.string()
      const type = r.u32()
      if (key === 'tokenizer.chat_template' && type === 8) return r.string()
      r.skip(type)
    }
    return null
  } finally {
    closeSync(fd)
  }
}
