// Reads every GGUF metadata key/value (tensors untouched) into the shapes
// the native addon hands to TextTokenizer.fromGguf: string arrays, number
// arrays as Float64Array (a one-element array as a number), booleans as 0/1.
import { closeSync, openSync, readSync } from 'node:fs'
import type { NativeMetadataValue } from '../../src/engine/native.ts'

const HEAD_BYTES = 64 * 2 ** 20

export function readGgufKv(path: string): Record<string, NativeMetadataValue> {
  const fd = openSync(path, 'r')
  const buf = Buffer.alloc(HEAD_BYTES)
  let length: number
  try {
    length = readSync(fd, buf, 0, HEAD_BYTES, 0)
  } finally {
    closeSync(fd)
  }
  if (buf.toString('latin1', 0, 4) !== 'GGUF')
    throw new Error(`${path} is not a GGUF file`)
  let pos = 24
  const need = (n: number) => {
    if (pos + n > length)
      throw new Error(`${path}: metadata longer than ${HEAD_BYTES} bytes`)
  }
  const str = () => {
    need(8)
    const len = Number(buf.readBigUInt64LE(pos))
    need(8 + len)
    const s = buf.toString('utf8', pos + 8, pos + 8 + len)
    pos += 8 + len
    return s
  }
  const num = (type: number): number => {
    const sizes: Record<number, number> = {
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
    const size = sizes[type]
    if (size === undefined) throw new Error(`unknown GGUF value type ${type}`)
    need(size)
    const at = pos
    pos += size
    switch (type) {
      case 0:
      case 7:
        return buf.readUInt8(at)
      case 1:
        return buf.readInt8(at)
      case 2:
        return buf.readUInt16LE(at)
      case 3:
        return buf.readInt16LE(at)
      case 4:
        return buf.readUInt32LE(at)
      case 5:
        return buf.readInt32LE(at)
      case 6:
        return buf.readFloatLE(at)
      case 10:
        return Number(buf.readBigUInt64LE(at))
      case 11:
        return Number(buf.readBigInt64LE(at))
      default:
        return buf.readDoubleLE(at)
    }
  }
  const out: Record<string, NativeMetadataValue> = {}
  const count = Number(buf.readBigUInt64LE(16))
  for (let i = 0; i < count; i++) {
    const key = str()
    need(4)
    const type = buf.readUInt32LE(pos)
    pos += 4
    if (type === 8) out[key] = str()
    else if (type === 9) {
      need(12)
      const itemType = buf.readUInt32LE(pos)
      const n = Number(buf.readBigUInt64LE(pos + 4))
      pos += 12
      if (itemType === 8) out[key] = Array.from({ length: n }, str)
      else {
        const values = Float64Array.from({ length: n }, () => num(itemType))
        out[key] = n === 1 ? (values[0] as number) : values
      }
    } else out[key] = num(type)
  }
  return out
}
