// Deterministic tensor data in every ggml block format the engine loads:
// random but valid blocks (finite half-precision scales of a chosen size,
// random codes), so tests and the llama.cpp fixture scripts write the same
// bytes from the same seed.

export type GgmlTypeName =
  | 'F32'
  | 'F16'
  | 'Q4_0'
  | 'Q4_1'
  | 'Q5_0'
  | 'Q5_1'
  | 'Q8_0'
  | 'Q2_K'
  | 'Q3_K'
  | 'Q4_K'
  | 'Q5_K'
  | 'Q6_K'
  | 'IQ4_NL'
  | 'IQ4_XS'
  | 'MXFP4'

/** ggml type id, elements per block, bytes per block. */
export const GGML_TYPES: Record<
  GgmlTypeName,
  { id: number; block: number; bytes: number }
> = {
  F32: { id: 0, block: 1, bytes: 4 },
  F16: { id: 1, block: 1, bytes: 2 },
  Q4_0: { id: 2, block: 32, bytes: 18 },
  Q4_1: { id: 3, block: 32, bytes: 20 },
  Q5_0: { id: 6, block: 32, bytes: 22 },
  Q5_1: { id: 7, block: 32, bytes: 24 },
  Q8_0: { id: 8, block: 32, bytes: 34 },
  Q2_K: { id: 10, block: 256, bytes: 84 },
  Q3_K: { id: 11, block: 256, bytes: 110 },
  Q4_K: { id: 12, block: 256, bytes: 144 },
  Q5_K: { id: 13, block: 256, bytes: 176 },
  Q6_K: { id: 14, block: 256, bytes: 210 },
  IQ4_NL: { id: 20, block: 32, bytes: 18 },
  IQ4_XS: { id: 23, block: 256, bytes: 136 },
  MXFP4: { id: 39, block: 32, bytes: 17 },
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Gaussian samples (Box-Muller) from a uniform source. */
export function gaussian(rand: () => number): () => number {
  return () => {
    const u = Math.max(rand(), 1e-12)
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand())
  }
}

const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)

/** IEEE half bits of x (round to nearest even; x finite, |x| < 65504). */
export function toHalfBits(x: number): number {
  f32[0] = x
  const bits = u32[0] as number
  const sign = (bits >>> 16) & 0x8000
  const exp = ((bits >>> 23) & 0xff) - 127 + 15
  let man = bits & 0x7fffff
  if (exp <= 0) {
    if (exp < -10) return sign
    man |= 0x800000
    const shift = 14 - exp
    const half = man >>> shift
    const rest = man & ((1 << shift) - 1)
    const mid = 1 << (shift - 1)
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0))
  }
  const half = (exp << 10) | (man >>> 13)
  const rest = man & 0x1fff
  return (
    sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0))
  )
}

/**
 * `n` elements of type `type` (n a multiple of its block size). Dense types
 * hold N(0, std^2) values; quantized blocks hold random codes under scales
 * chosen so the values have roughly that spread.
 */
export function randomTensorBytes(
  type: GgmlTypeName,
  n: number,
  rand: () => number,
  std = 0.02,
): Buffer {
  const t = GGML_TYPES[type]
  if (n % t.block !== 0)
    throw new Error(`${n} elements are not whole ${type} blocks`)
  const out = Buffer.alloc((n / t.block) * t.bytes)
  if (type === 'F32' || type === 'F16') {
    const g = gaussian(rand)
    for (let i = 0; i < n; i++)
      if (type === 'F32') out.writeFloatLE(g() * std, i * 4)
      else out.writeUInt16LE(toHalfBits(g() * std), i * 2)
    return out
  }
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(rand() * 256)
  // A positive scale of about `size` (jittered), as half bits.
  const half = (size: number) => toHalfBits(size * (0.5 + rand()))
  for (let b = 0; b < n / t.block; b++) {
    const o = b * t.bytes
    switch (type) {
      case 'Q4_0':
      case 'IQ4_NL':
        out.writeUInt16LE(half(std / (type === 'Q4_0' ? 4.6 : 70)), o)
        break
      case 'Q5_0':
        out.writeUInt16LE(half(std / 9.2), o)
        break
      case 'Q8_0':
        out.writeUInt16LE(half(std / 74), o)
        break
      case 'Q4_1':
      case 'Q5_1': {
        const levels = type === 'Q4_1' ? 15 : 31
        const d = std / (levels * 0.29)
        out.writeUInt16LE(half(d), o)
        out.writeUInt16LE(toHalfBits((-d * levels) / 2), o + 2)
        break
      }
      case 'Q4_K':
      case 'Q5_K': {
        // value = d*sc*q - dmin*m; m = sc and dmin = d*levels/2 make every
        // sub-block zero-mean: d*sc*(q - levels/2).
        const levels = type === 'Q4_K' ? 15 : 31
        const d = std / (levels * 0.29 * 36)
        out.writeUInt16LE(toHalfBits(d), o)
        out.writeUInt16LE(toHalfBits((d * levels) / 2), o + 2)
        const sc = Uint8Array.from(
          { length: 8 },
          () => 8 + Math.floor(rand() * 56),
        )
        for (let j = 0; j < 4; j++) {
          out[o + 4 + j] =
            ((sc[j] as number) & 63) | (((sc[j + 4] as number) >> 4) << 6)
          out[o + 8 + j] =
            ((sc[j] as number) & 63) | (((sc[j + 4] as number) >> 4) << 6)
          out[o + 12 + j] =
            ((sc[j + 4] as number) & 0xf) | (((sc[j + 4] as number) & 0xf) << 4)
        }
        break
      }
      case 'Q2_K': {
        // value = d*(sc&15)*q - dmin*(sc>>4), q in 0..3: equal nibbles and
        // dmin = 1.5 d make it zero-mean.
        const d = std / (1.12 * 9)
        out.writeUInt16LE(toHalfBits(d), o + 80)
        out.writeUInt16LE(toHalfBits(1.5 * d), o + 82)
        for (let j = 0; j < 16; j++) {
          const v = 2 + Math.floor(rand() * 14)
          out[o + j] = v | (v << 4)
        }
        break
      }
      case 'Q3_K':
        out.writeUInt16LE(half(std / (2.3 * 16)), o + 108)
        break
      case 'Q6_K':
        out.writeUInt16LE(half(std / (18 * 64)), o + 208)
        break
      case 'IQ4_XS':
        out.writeUInt16LE(half(std / (70 * 16)), o)
        break
      case 'MXFP4':
        // e8m0 scale 2^(e-127): values kvalue * 2^(e-128), |kvalue| <= 12.
        out[o] = 127 + Math.round(Math.log2(std / 3)) + Math.floor(rand() * 2)
        break
    }
  }
  return out
}
