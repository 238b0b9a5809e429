// gpt-oss expert tensors in the layouts of its Hugging Face releases:
//  - transformers (BF16 conversions): gate_up_proj [E, in, 2F] (x @ W) with
//    gate and up interleaved along the last axis, down_proj [E, F, out],
//    biases gate_up_proj_bias [E, 2F] (interleaved), down_proj_bias [E, out];
//  - the original MXFP4 release: *_blocks [E, rows, in / 32, 16] uint8 (two
//    e2m1 codes per byte, element 2i in the low nibble) and *_scales
//    [E, rows, in / 32] e8m0, gate/up rows interleaved the same way.
import { type GgmlTypeName, randomTensorBytes } from './ggufTensorData.ts'
import type { SafeTensor as Tensor } from './tinyCheckpoint.ts'

type Stack = { shape: number[]; data: Float32Array } // [E, out, in]

const f32 = (shape: number[], data: Float32Array): Tensor => ({
  dtype: 'F32',
  shape,
  data: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
})

/** Float experts in transformers' fused layout. */
export function fusedWeights(
  gate: Stack,
  up: Stack,
  down: Stack,
): Record<string, Tensor> {
  const [E, F, D] = gate.shape as [number, number, number]
  const gu = new Float32Array(E * D * 2 * F)
  for (let e = 0; e < E; e++)
    for (let f = 0; f < F; f++)
      for (let d = 0; d < D; d++) {
        const src = (e * F + f) * D + d
        gu[(e * D + d) * 2 * F + 2 * f] = gate.data[src] as number
        gu[(e * D + d) * 2 * F + 2 * f + 1] = up.data[src] as number
      }
  const dn = new Float32Array(E * F * D)
  for (let e = 0; e < E; e++)
    for (let d = 0; d < D; d++)
      for (let f = 0; f < F; f++)
        dn[(e * F + f) * D + d] = down.data[(e * D + d) * F + f] as number
  return { gate_up_proj: f32([E, D, 2 * F], gu), down_proj: f32([E, F, D], dn) }
}

/** Expert biases [E, F] / [E, out] in transformers' fused layout. */
export function fusedBiases(
  gate: Stack,
  up: Stack,
  down: Stack,
): Record<string, Tensor> {
  const [E, F] = gate.shape as [number, number]
  const gub = new Float32Array(E * 2 * F)
  for (let i = 0; i < E * F; i++) {
    gub[2 * i] = gate.data[i] as number
    gub[2 * i + 1] = up.data[i] as number
  }
  return {
    gate_up_proj_bias: f32([E, 2 * F], gub),
    down_proj_bias: f32(down.shape, down.data),
  }
}

const MXFP4: GgmlTypeName = 'MXFP4'

/**
 * Random MXFP4 experts: ggml blocks for the GGUF (ffn_{gate,up,down}_exps,
 * rows of `in / 32` blocks of 17 bytes: e8m0 scale, element j in the low
 * nibble of byte j and element j + 16 in its high nibble) and the same
 * values in the original release's tensors.
 */
export function mxfp4Experts(
  E: number,
  F: number,
  D: number,
  rand: () => number,
): {
  ggml: { gate: Buffer; up: Buffer; down: Buffer }
  hf: Record<string, Tensor>
} {
  const gate = randomTensorBytes(MXFP4, E * F * D, rand, 1 / 16)
  const up = randomTensorBytes(MXFP4, E * F * D, rand, 1 / 16)
  const down = randomTensorBytes(MXFP4, E * D * F, rand, 1 / 16)
  // One ggml block -> 16 packed bytes (sequential nibbles) + its scale.
  const repack = (
    src: Buffer,
    block: number,
    out: Buffer,
    scales: Buffer,
    at: number,
  ) => {
    const o = block * 17
    scales[at] = src[o] as number
    const code = (t: number) => {
      const b = src[o + 1 + (t % 16)] as number
      return t < 16 ? b & 0xf : b >> 4
    }
    for (let i = 0; i < 16; i++)
      out[at * 16 + i] = code(2 * i) | (code(2 * i + 1) << 4)
  }
  const groupsD = D / 32
  const gub = Buffer.alloc(E * 2 * F * groupsD * 16)
  const gus = Buffer.alloc(E * 2 * F * groupsD)
  for (let e = 0; e < E; e++)
    for (let f = 0; f < F; f++)
      for (let g = 0; g < groupsD; g++) {
        const block = (e * F + f) * groupsD + g
        repack(gate, block, gub, gus, (e * 2 * F + 2 * f) * groupsD + g)
        repack(up, block, gub, gus, (e * 2 * F + 2 * f + 1) * groupsD + g)
      }
  const groupsF = F / 32
  const db = Buffer.alloc(E * D * groupsF * 16)
  const ds = Buffer.alloc(E * D * groupsF)
  for (let b = 0; b < E * D * groupsF; b++) repack(down, b, db, ds, b)
  const u8 = (shape: number[], data: Buffer): Tensor => ({
    dtype: 'U8',
    shape,
    data,
  })
  return {
    ggml: { gate, up, down },
    hf: {
      gate_up_proj_blocks: u8([E, 2 * F, groupsD, 16], gub),
      gate_up_proj_scales: u8([E, 2 * F, groupsD], gus),
      down_proj_blocks: u8([E, D, groupsF, 16], db),
      down_proj_scales: u8([E, D, groupsF], ds),
    },
  }
}
