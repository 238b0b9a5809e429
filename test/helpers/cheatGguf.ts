// Cheaper models a dishonest node could run while claiming the real one
// (the cheat set of reference/verification-anchors.md), written from the
// real GGUF: every Q4_1 tensor requantized to Q4_0 (llama.cpp's reference
// quantizer, quantize_row_q4_0_ref, reimplemented from its definition), or
// two transformer blocks dropped (later blocks renumbered, block_count
// lowered). Everything else (tokenizer, template, other tensors) is kept.
import { GGML_TYPES, toHalfBits } from './ggufTensorData.ts'
import { type GgufTensor, layoutTensors, readGguf } from './readGguf.ts'
import { writeGguf } from './tinyGguf.ts'

const Q4_0 = GGML_TYPES.Q4_0
const Q4_1 = GGML_TYPES.Q4_1
const f = Math.fround

/** IEEE half bits to a number (subnormals included). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >> 10) & 31
  const man = h & 1023
  if (exp === 0) return sign * man * 2 ** -24
  if (exp === 31) return man ? Number.NaN : sign * Number.POSITIVE_INFINITY
  return sign * (1 + man / 1024) * 2 ** (exp - 15)
}

/** Q4_1 blocks (f16 d, f16 m, 16 bytes of nibbles) to float32 values. */
export function dequantizeQ4_1(data: Buffer): Float32Array {
  const blocks = data.length / Q4_1.bytes
  const out = new Float32Array(blocks * 32)
  for (let b = 0; b < blocks; b++) {
    const o = b * Q4_1.bytes
    const d = halfToFloat(data.readUInt16LE(o))
    const m = halfToFloat(data.readUInt16LE(o + 2))
    for (let j = 0; j < 16; j++) {
      const q = data[o + 4 + j] as number
      out[b * 32 + j] = f(f((q & 15) * d) + m)
      out[b * 32 + j + 16] = f(f((q >> 4) * d) + m)
    }
  }
  return out
}

/**
 * llama.cpp's Q4_0 reference quantizer: per block of 32, d = v/-8 where v is
 * the value of largest magnitude, codes min(15, trunc(x/d + 8.5)) with the
 * first 16 values in the low nibbles; float32 arithmetic throughout.
 */
export function quantizeQ4_0(x: Float32Array): Buffer {
  const blocks = x.length / 32
  const out = Buffer.alloc(blocks * Q4_0.bytes)
  for (let b = 0; b < blocks; b++) {
    let amax = 0
    let max = 0
    for (let j = 0; j < 32; j++) {
      const v = x[b * 32 + j] as number
      if (amax < Math.abs(v)) {
        amax = Math.abs(v)
        max = v
      }
    }
    const d = f(max / -8)
    const id = d ? f(1 / d) : 0
    const o = b * Q4_0.bytes
    out.writeUInt16LE(toHalfBits(d), o)
    for (let j = 0; j < 16; j++) {
      const x0 = f((x[b * 32 + j] as number) * id)
      const x1 = f((x[b * 32 + 16 + j] as number) * id)
      const q0 = Math.min(15, Math.trunc(f(x0 + 8.5)))
      const q1 = Math.min(15, Math.trunc(f(x1 + 8.5)))
      out[o + 2 + j] = q0 | (q1 << 4)
    }
  }
  return out
}

/** Writes `src` with every Q4_1 tensor requantized to Q4_0. */
export function requantizeQ4_1ToQ4_0(src: string, dst: string): number {
  const file = readGguf(src)
  let changed = 0
  const tensors = file.tensors.map((t): GgufTensor => {
    if (t.type !== Q4_1.id) return t
    changed++
    return { ...t, type: Q4_0.id, data: quantizeQ4_0(dequantizeQ4_1(t.data)) }
  })
  const { infos, data } = layoutTensors(tensors)
  writeGguf(
    dst,
    { ...file.metadata, 'general.file_type': { type: 'u32', value: 2 } },
    infos,
    data,
  )
  return changed
}

/** Writes `src` without transformer blocks `drop` (e.g. [20, 21]). */
export function dropBlocks(src: string, dst: string, drop: number[]): void {
  const file = readGguf(src)
  const arch = file.metadata['general.architecture']?.value as string
  const countKey = `${arch}.block_count`
  const count = file.metadata[countKey]?.value as number
  if (drop.some((b) => b < 0 || b >= count))
    throw new Error(`dropBlocks: blocks ${drop} outside 0..${count - 1}`)
  const renumber = (b: number) => b - drop.filter((d) => d < b).length
  const tensors = file.tensors.flatMap((t) => {
    const m = /^blk\.(\d+)\.(.*)$/.exec(t.name)
    if (!m) return [t]
    const b = Number(m[1])
    return drop.includes(b)
      ? []
      : [{ ...t, name: `blk.${renumber(b)}.${m[2]}` }]
  })
  const { infos, data } = layoutTensors(tensors)
  const metadata = { ...file.metadata }
  metadata[countKey] = { type: 'u32', value: count - drop.length }
  writeGguf(dst, metadata, infos, data)
}
