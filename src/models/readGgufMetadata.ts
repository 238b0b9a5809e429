// Reads the few GGUF header keys the catalogue needs (architecture, context
// length, file type) without loading tensors: the header is parsed from the
// first few MiB and big arrays (the vocabulary) are skipped.
import { open } from 'node:fs/promises'

export type GgufMetadata = {
  architecture: string | null
  contextLength: number | null
  name: string | null
}

const HEAD_BYTES = 2 * 2 ** 20

export async function readGgufMetadata(path: string): Promise<GgufMetadata> {
  const file = await open(path, 'r')
  try {
    const buffer = Buffer.alloc(HEAD_BYTES)
    const { bytesRead } = await file.read(buffer, 0, HEAD_BYTES, 0)
    return parseGgufHeader(buffer.subarray(0, bytesRead))
  } finally {
    await file.close()
  }
}

/** Parses as far as the buffer goes; missing keys stay null. */
export function parseGgufHeader(buf: Buffer): GgufMetadata {
  const out: GgufMetadata = {
    architecture: null,
    contextLength: null,
    name: null,
  }
  if (buf.length < 24 || buf.toString('latin1', 0, 4) !== 'GGUF') return out
  const values = new Map<string, unknown>()
  let pos = 8
  const kvCount = Number(buf.readBigUInt64LE(16))
  pos = 24
  const str = () => {
    const len = Number(buf.readBigUInt64LE(pos))
    const s = buf.toString('utf8', pos + 8, pos + 8 + len)
    pos += 8 + len
    return s
  }
  const value = (type: number): unknown => {
    switch (type) {
      case 0:
      case 1:
      case 7:
        pos += 1
        return buf[pos - 1]
      case 2:
      case 3:
        pos += 2
        return buf.readUInt16LE(pos - 2)
      case 4:
        pos += 4
        return buf.readUInt32LE(pos - 4)
      case 5:
        pos += 4
        return buf.readInt32LE(pos - 4)
      case 6:
        pos += 4
        return buf.readFloatLE(pos - 4)
      case 8:
        return str()
      case 9: {
        const itemType = buf.readUInt32LE(pos)
        const n = Number(buf.readBigUInt64LE(pos + 4))
        pos += 12
        for (let i = 0; i < n; i++) value(itemType)
        return null
      }
      case 10:
      case 11:
        pos += 8
        return Number(buf.readBigUInt64LE(pos - 8))
      case 12:
        pos += 8
        return buf.readDoubleLE(pos - 8)
      default:
        throw new RangeError(`unknown GGUF value type ${type}`)
    }
  }
  try {
    for (let i = 0; i < kvCount; i++) {
      const key = str()
      const type = buf.readUInt32LE(pos)
      pos += 4
      values.set(key, value(type))
      const arch = values.get('general.architecture')
      if (typeof arch === 'string' && values.has(`${arch}.context_length`))
        break
    }
  } catch {
    // Header longer than what we read: keep what we have.
  }
  const arch = values.get('general.architecture')
  out.architecture = typeof arch === 'string' ? arch : null
  const ctx =
    out.architecture && values.get(`${out.architecture}.context_length`)
  out.contextLength = typeof ctx === 'number' ? ctx : null
  const name = values.get('general.name')
  out.name = typeof name === 'string' ? name : null
  return out
}
