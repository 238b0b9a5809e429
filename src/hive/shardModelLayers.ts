// The number of transformer blocks of a GGUF model (`<arch>.block_count`),
// read from its header without loading tensors: what a sharding plan splits.
import { open } from 'node:fs/promises'
import { ShardPlanError } from './shardPlan.ts'

const MAX_HEADER = 64 * 2 ** 20

export async function ggufBlockCount(path: string): Promise<number> {
  const file = await open(path, 'r')
  let buf: Buffer
  try {
    const size = (await file.stat()).size
    buf = Buffer.alloc(Math.min(size, MAX_HEADER))
    await file.read(buf, 0, buf.length, 0)
  } finally {
    await file.close()
  }
  const fail = (why: string) =>
    new ShardPlanError(`Cannot read the layer count of "${path}".`, {
      details: why,
    })
  if (buf.length < 24 || buf.toString('latin1', 0, 4) !== 'GGUF')
    throw fail('not a GGUF file')
  let pos = 24
  const str = () => {
    const len = Number(buf.readBigUInt64LE(pos))
    pos += 8 + len
    return buf.toString('utf8', pos - len, pos)
  }
  const sizes: Record<number, number> = {
    0: 1,
    1: 1,
    7: 1,
    2: 2,
    3: 2,
    4: 4,
    5: 4,
    6: 4,
    10: 8,
    11: 8,
    12: 8,
  }
  const skip = (type: number): number | string | null => {
    if (type === 8) return str()
    if (type === 9) {
      const item = buf.readUInt32LE(pos)
      const n = Number(buf.readBigUInt64LE(pos + 4))
      pos += 12
      if (item !== 8 && item !== 9 && sizes[item]) pos += n * sizes[item]
      else for (let i = 0; i < n; i++) skip(item)
      return null
    }
    const n = sizes[type]
    if (!n) throw fail(`unknown GGUF value type ${type}`)
    pos += n
    if (type === 4) return buf.readUInt32LE(pos - 4)
    if (type === 5) return buf.readInt32LE(pos - 4)
    if (type === 10 || type === 11) return Number(buf.readBigUInt64LE(pos - 8))
    return null
  }
  const kvCount = Number(buf.readBigUInt64LE(16))
  const values = new Map<string, number | string | null>()
  try {
    for (let i = 0; i < kvCount; i++) {
      const key = str()
      const type = buf.readUInt32LE(pos)
      pos += 4
      values.set(key, skip(type))
      const arch = values.get('general.architecture')
      const blocks =
        typeof arch === 'string' && values.get(`${arch}.block_count`)
      if (typeof blocks === 'number' && blocks > 0) return blocks
    }
  } catch (e) {
    if (e instanceof ShardPlanError) throw e
  }
  throw fail('no <architecture>.block_count key in the header')
}
