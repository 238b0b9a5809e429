// Writes small GGUF v3 files by hand for the bad-input tests: a header with
// metadata key/values and tensor infos, padded to 32 bytes, then raw data.
import { writeFileSync } from 'node:fs'

export type GgufValue =
  | { type: 'u32'; value: number }
  | { type: 'i32'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'strings'; value: string[] }
  | { type: 'i32s'; value: number[] }
  | { type: 'f32s'; value: number[] }

export type GgufTensorInfo = {
  name: string
  /** ggml dims, innermost first (ne0, ne1, ...). */
  dims: bigint[]
  /** ggml type id: 0 F32, 1 F16, 2 Q4_0, 3 Q4_1, 8 Q8_0, 12 Q4_K, ... */
  type: number
  offset: bigint
}

const VALUE_TYPE = {
  u32: 4,
  i32: 5,
  f32: 6,
  bool: 7,
  string: 8,
  strings: 9,
  i32s: 9,
  f32s: 9,
} as const
const ARRAY_ELEMENT = { strings: 8, i32s: 5, f32s: 6 } as const
const ALIGNMENT = 32

class ByteWriter {
  #chunks: Buffer[] = []
  #length = 0
  get length(): number {
    return this.#length
  }
  bytes(b: Buffer): void {
    this.#chunks.push(b)
    this.#length += b.length
  }
  u32(v: number): void {
    const b = Buffer.alloc(4)
    b.writeUInt32LE(v)
    this.bytes(b)
  }
  u64(v: bigint): void {
    const b = Buffer.alloc(8)
    b.writeBigUInt64LE(v)
    this.bytes(b)
  }
  i32(v: number): void {
    const b = Buffer.alloc(4)
    b.writeInt32LE(v)
    this.bytes(b)
  }
  f32(v: number): void {
    const b = Buffer.alloc(4)
    b.writeFloatLE(v)
    this.bytes(b)
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8')
    this.u64(BigInt(b.length))
    this.bytes(b)
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.#chunks)
  }
}

/** Serialises a GGUF v3 file; `data` is appended after the aligned header. */
export function ggufBytes(
  metadata: Record<string, GgufValue>,
  tensors: GgufTensorInfo[],
  data: Buffer = Buffer.alloc(0),
): Buffer {
  const w = new ByteWriter()
  w.bytes(Buffer.from('GGUF', 'latin1'))
  w.u32(3)
  w.u64(BigInt(tensors.length))
  w.u64(BigInt(Object.keys(metadata).length))
  for (const [key, v] of Object.entries(metadata)) {
    w.str(key)
    w.u32(VALUE_TYPE[v.type])
    if (v.type === 'string') w.str(v.value)
    else if (v.type === 'u32') w.u32(v.value)
    else if (v.type === 'i32') w.i32(v.value)
    else if (v.type === 'bool') w.bytes(Buffer.from([v.value ? 1 : 0]))
    else if (v.type === 'f32') w.f32(v.value)
    else {
      w.u32(ARRAY_ELEMENT[v.type])
      w.u64(BigInt(v.value.length))
      for (const x of v.value) {
        if (v.type === 'strings') w.str(x as string)
        else if (v.type === 'i32s') w.i32(x as number)
        else w.f32(x as number)
      }
    }
  }
  for (const t of tensors) {
    w.str(t.name)
    w.u32(t.dims.length)
    for (const d of t.dims) w.u64(d)
    w.u32(t.type)
    w.u64(t.offset)
  }
  const pad = (ALIGNMENT - (w.length % ALIGNMENT)) % ALIGNMENT
  w.bytes(Buffer.alloc(pad))
  w.bytes(data)
  return w.toBuffer()
}

/** The metadata a llama-architecture GGUF needs (a 64-wide, 1-layer model). */
export function tinyLlamaMetadata(): Record<string, GgufValue> {
  return {
    'general.architecture': { type: 'string', value: 'llama' },
    'general.name': { type: 'string', value: 'tiny' },
    'llama.context_length': { type: 'u32', value: 128 },
    'llama.embedding_length': { type: 'u32', value: 64 },
    'llama.block_count': { type: 'u32', value: 1 },
    'llama.feed_forward_length': { type: 'u32', value: 128 },
    'llama.attention.head_count': { type: 'u32', value: 4 },
    'llama.attention.head_count_kv': { type: 'u32', value: 2 },
    'llama.attention.layer_norm_rms_epsilon': { type: 'f32', value: 1e-5 },
    'llama.rope.freq_base': { type: 'f32', value: 10000 },
  }
}

export function writeGguf(
  path: string,
  metadata: Record<string, GgufValue>,
  tensors: GgufTensorInfo[],
  data?: Buffer,
): void {
  writeFileSync(path, ggufBytes(metadata, tensors, data))
}
