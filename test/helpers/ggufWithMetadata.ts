// Copies a GGUF file with extra metadata key/values (e.g. the
// `general.sampling.*` defaults llama.cpp's converter writes): the header's
// key/values and tensor infos are kept byte for byte, the new keys appended,
// and the tensor data re-aligned after the longer header.
import { readFileSync, writeFileSync } from 'node:fs'

export type ExtraValue =
  | { type: 'u32'; value: number }
  | { type: 'i32'; value: number }
  | { type: 'f32'; value: number }

const SCALAR_SIZE: Record<number, number> = {
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

export function writeGgufWithMetadata(
  source: string,
  target: string,
  extra: Record<string, ExtraValue>,
): void {
  const buf = readFileSync(source)
  if (buf.toString('latin1', 0, 4) !== 'GGUF')
    throw new Error('not a GGUF file')
  const tensorCount = Number(buf.readBigUInt64LE(8))
  const kvCount = Number(buf.readBigUInt64LE(16))
  let pos = 24
  let alignment = 32
  const skipString = () => {
    pos += 8 + Number(buf.readBigUInt64LE(pos))
  }
  const skipValue = (type: number) => {
    if (type === 8) return skipString()
    if (type === 9) {
      const inner = buf.readUInt32LE(pos)
      const n = Number(buf.readBigUInt64LE(pos + 4))
      pos += 12
      for (let i = 0; i < n; i++) skipValue(inner)
      return
    }
    const size = SCALAR_SIZE[type]
    if (size === undefined) throw new Error(`unknown GGUF value type ${type}`)
    pos += size
  }
  const kvStart = pos
  for (let i = 0; i < kvCount; i++) {
    const keyLen = Number(buf.readBigUInt64LE(pos))
    const key = buf.toString('utf8', pos + 8, pos + 8 + keyLen)
    pos += 8 + keyLen
    const type = buf.readUInt32LE(pos)
    pos += 4
    if (key === 'general.alignment' && type === 4)
      alignment = buf.readUInt32LE(pos)
    skipValue(type)
  }
  const kvEnd = pos
  for (let i = 0; i < tensorCount; i++) {
    skipString()
    const dims = buf.readUInt32LE(pos)
    pos += 4 + 8 * dims + 4 + 8
  }
  const infoEnd = pos
  const dataStart = Math.ceil(infoEnd / alignment) * alignment
  const added = Object.entries(extra).map(([key, v]) => {
    const name = Buffer.from(key, 'utf8')
    const head = Buffer.alloc(8 + name.length + 4 + 4)
    head.writeBigUInt64LE(BigInt(name.length), 0)
    name.copy(head, 8)
    const at = 8 + name.length
    if (v.type === 'u32') {
      head.writeUInt32LE(4, at)
      head.writeUInt32LE(v.value, at + 4)
    } else if (v.type === 'i32') {
      head.writeUInt32LE(5, at)
      head.writeInt32LE(v.value, at + 4)
    } else {
      head.writeUInt32LE(6, at)
      head.writeFloatLE(v.value, at + 4)
    }
    return head
  })
  const header = Buffer.alloc(24)
  buf.copy(header, 0, 0, 16)
  header.writeBigUInt64LE(BigInt(kvCount + added.length), 16)
  const parts = [
    header,
    buf.subarray(kvStart, kvEnd),
    ...added,
    buf.subarray(kvEnd, infoEnd),
  ]
  const length = parts.reduce((a, p) => a + p.length, 0)
  const pad = Buffer.alloc(Math.ceil(length / alignment) * alignment - length)
  writeFileSync(target, Buffer.concat([...parts, pad, buf.subarray(dataStart)]))
}
