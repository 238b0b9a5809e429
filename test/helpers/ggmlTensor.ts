// Tensor data in ggml's on-disk formats, for the tiny GGUFs the tests write.
// Every tensor goes through tensorBytes(type, values), so further types
// (K-quants, ...) plug in here; `blockSize` is the element granularity the
// type needs along a row (ne0).

export type GgmlType = 'F32' | 'F16' | 'Q8_0'

export const GGML_TYPE_ID: Record<GgmlType, number> = {
  F32: 0,
  F16: 1,
  Q8_0: 8,
}

export const blockSize = (type: GgmlType): number => (type === 'Q8_0' ? 32 : 1)

/** IEEE half from a float, round to nearest even (as numpy/ggml do). */
export function toHalf(value: number): number {
  const f = new Float32Array([value])
  const x = new Uint32Array(f.buffer)[0] as number
  const sign = (x >>> 16) & 0x8000
  const exp = (x >>> 23) & 0xff
  let mant = x & 0x7fffff
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0)
  let e = exp - 127 + 15
  if (e >= 0x1f) return sign | 0x7c00
  if (e <= 0) {
    if (e < -10) return sign
    mant |= 0x800000
    const shift = 14 - e
    const half = 1 << (shift - 1)
    let m = mant >>> shift
    const rest = mant & ((1 << shift) - 1)
    if (rest > half || (rest === half && m & 1)) m++
    return sign | m
  }
  let m = mant >>> 13
  const rest = mant & 0x1fff
  if (rest > 0x1000 || (rest === 0x1000 && m & 1)) {
    m++
    if (m === 0x400) {
      m = 0
      e++
      if (e >= 0x1f) return sign | 0x7c00
    }
  }
  return sign | (e << 10) | m
}

/** C's roundf: halves away from zero (Math.round rounds them up). */
const roundAway = (x: number): number => Math.sign(x) * Math.round(Math.abs(x))

/** Q8_0: blocks of 32 int8 values under an fp16 scale amax / 127 (ggml's reference quantizer). */
function q8_0(values: Float32Array): Buffer {
  const blocks = values.length / 32
  const out = Buffer.alloc(blocks * 34)
  for (let b = 0; b < blocks; b++) {
    let amax = 0
    for (let j = 0; j < 32; j++)
      amax = Math.max(amax, Math.abs(values[b * 32 + j] as number))
    const d = Math.fround(amax / 127)
    const id = d ? Math.fround(1 / d) : 0
    out.writeUInt16LE(toHalf(d), b * 34)
    for (let j = 0; j < 32; j++)
      out.writeInt8(
        roundAway(Math.fround((values[b * 32 + j] as number) * id)),
        b * 34 + 2 + j,
      )
  }
  return out
}

/** The bytes of `values` (row-major, ne0 fastest) stored as `type`. */
export function tensorBytes(type: GgmlType, values: Float32Array): Buffer {
  if (values.length % blockSize(type) !== 0)
    throw new Error(`${type} needs a multiple of ${blockSize(type)} values`)
  if (type === 'F32')
    return Buffer.from(values.buffer, values.byteOffset, values.byteLength)
  if (type === 'F16') {
    const out = Buffer.alloc(values.length * 2)
    values.forEach((v, i) => {
      out.writeUInt16LE(toHalf(v), i * 2)
    })
    return out
  }
  return q8_0(values)
}
