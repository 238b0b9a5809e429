// Reads a GGUF v3 file into the shapes tinyGguf.ts writes (metadata values,
// tensor infos, raw tensor bytes), so tests can rewrite a real model: drop
// blocks, requantize tensors. Only the value types that writer knows are
// read; anything else is a clear error, not a silently different file.
import { readFileSync } from 'node:fs'
import { GGML_TYPES } from './ggufTensorData.ts'
import type { GgufTensorInfo, GgufValue } from './tinyGguf.ts'

export type GgufTensor = Omit<GgufTensorInfo, 'offset'> & { data: Buffer }

export type GgufFile = {
  metadata: Record<string, GgufValue>
  tensors: GgufTensor[]
}

/** Bytes of a tensor of `type` with `elements` values. */
export function ggmlTensorBytes(type: number, elements: number): number {
  const t = Object.values(GGML_TYPES).find((x) => x.id === type)
  if (!t) throw new Error(`readGguf: ggml type ${type} is not supported`)
  if (elements % t.block !== 0)
    throw new Error(`readGguf: ${elements} values are not whole blocks`)
  return (elements / t.block) * t.bytes
}

export function readGguf(path: string): GgufFile {
  const buf = readFileSync(path)
  let at = 0
  const take = (n: number) => {
    at += n
    return at - n
  }
  const u32 = () => buf.readUInt32LE(take(4))
  const i32 = () => buf.readInt32LE(take(4))
  const f32 = () => buf.readFloatLE(take(4))
  const u64 = () => buf.readBigUInt64LE(take(8))
  const str = () => {
    const n = Number(u64())
    at += n
    return buf.toString('utf8', at - n, at)
  }
  if (buf.toString('latin1', 0, 4) !== 'GGUF') throw new Error('not a GGUF')
  at = 4
  if (u32() !== 3) throw new Error('readGguf: only GGUF v3 is read')
  const nTensors = Number(u64())
  const nKv = Number(u64())
  const metadata: Record<string, GgufValue> = {}
  for (let i = 0; i < nKv; i++) {
    const key = str()
    const type = u32()
    if (type === 4) metadata[key] = { type: 'u32', value: u32() }
    else if (type === 5) metadata[key] = { type: 'i32', value: i32() }
    else if (type === 6) metadata[key] = { type: 'f32', value: f32() }
    else if (type === 7) metadata[key] = { type: 'bool', value: !!buf[at++] }
    else if (type === 8) metadata[key] = { type: 'string', value: str() }
    else if (type === 9) {
      const element = u32()
      const n = Number(u64())
      if (element === 8)
        metadata[key] = {
          type: 'strings',
          value: Array.from({ length: n }, str),
        }
      else if (element === 5)
        metadata[key] = { type: 'i32s', value: Array.from({ length: n }, i32) }
      else if (element === 6)
        metadata[key] = { type: 'f32s', value: Array.from({ length: n }, f32) }
      else throw new Error(`readGguf: ${key}: array of type ${element}`)
    } else throw new Error(`readGguf: ${key}: value type ${type}`)
  }
  const infos: GgufTensorInfo[] = []
  for (let i = 0; i < nTensors; i++) {
    const name = str()
    const dims = Array.from({ length: u32() }, u64)
    infos.push({ name, dims, type: u32(), offset: u64() })
  }
  const alignment =
    metadata['general.alignment']?.type === 'u32'
      ? metadata['general.alignment'].value
      : 32
  const dataStart = Math.ceil(at / alignment) * alignment
  const tensors = infos.map(({ offset, ...info }) => {
    const elements = info.dims.reduce((a, d) => a * Number(d), 1)
    const start = dataStart + Number(offset)
    const end = start + ggmlTensorBytes(info.type, elements)
    if (end > buf.length) throw new Error(`readGguf: ${info.name} truncated`)
    return { ...info, data: buf.subarray(start, end) }
  })
  return { metadata, tensors }
}

/** Lays tensors out 32-byte aligned and serialises header + data. */
export function layoutTensors(tensors: GgufTensor[]): {
  infos: GgufTensorInfo[]
  data: Buffer
} {
  const parts: Buffer[] = []
  const infos: GgufTensorInfo[] = []
  let offset = 0
  for (const t of tensors) {
    infos.push({
      name: t.name,
      dims: t.dims,
      type: t.type,
      offset: BigInt(offset),
    })
    const pad = (32 - (t.data.length % 32)) % 32
    parts.push(t.data, Buffer.alloc(pad))
    offset += t.data.length + pad
  }
  return { infos, data: Buffer.concat(parts) }
}
