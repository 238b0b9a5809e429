// Writes tiny random-weight Qwen3.5 GGUFs (llama.cpp's "qwen35" dense and
// "qwen35moe") with llama.cpp's tensor names and metadata keys,
// deterministically from a seed: the engine's tests and the llama.cpp
// fixture script (scripts/fixtures/qwen35.sh) read the same bytes. Layers
// alternate Gated DeltaNet linear attention and gated full attention
// (full_attention_interval 2); widths are multiples of 256 where a K-quant
// needs them. The conv kernel, decay, dt bias, norms, routers and the
// alpha/beta projections stay F32 (llama.cpp keeps such small tensors so).
import {
  GGML_TYPES,
  type GgmlTypeName,
  gaussian,
  randomTensorBytes,
  seededRandom,
} from './ggufTensorData.ts'
import { type GgufTensorInfo, type GgufValue, writeGguf } from './tinyGguf.ts'
import { TINY_MOE_VOCAB, tokenizerMetadata } from './tinyMoeGguf.ts'

export type Qwen35Family = 'qwen35' | 'qwen35moe'
export type Qwen35Quant = 'F32' | 'F16' | 'Q8_0' | 'Q4_K'

export const TINY_QWEN35 = {
  hidden: 256,
  heads: 4,
  kvHeads: 2,
  headDim: 64,
  ropeDims: 16,
  ff: 256,
  layers: 4,
  fullEvery: 2,
  conv: 4,
  stateSize: 64,
  keyHeads: 2,
  valueHeads: 4,
  experts: 8,
  expertsUsed: 2,
  context: 512,
} as const

export function writeTinyQwen35Gguf(
  path: string,
  family: Qwen35Family,
  quant: Qwen35Quant,
  seed = 11,
): void {
  const c = TINY_QWEN35
  const D = c.hidden
  const rand = seededRandom(seed)
  const gauss = gaussian(rand)
  const tensors: GgufTensorInfo[] = []
  const chunks: Buffer[] = []
  let offset = 0
  const push = (
    name: string,
    dims: number[],
    type: GgmlTypeName,
    data: Buffer,
  ) => {
    tensors.push({
      name,
      dims: dims.map(BigInt),
      type: GGML_TYPES[type].id,
      offset: BigInt(offset),
    })
    const padded = Buffer.alloc(Math.ceil(data.length / 32) * 32)
    data.copy(padded)
    chunks.push(padded)
    offset += padded.length
  }
  const f32 = (n: number, f: () => number) =>
    Buffer.from(Float32Array.from({ length: n }, f).buffer)
  // dims are ggml's (innermost first): a [rows, cols] matrix is [cols, rows].
  const add = (
    name: string,
    dims: number[],
    type: GgmlTypeName,
    std: number,
  ) => {
    const n = dims.reduce((a, b) => a * b, 1)
    const data =
      type === 'F32'
        ? f32(n, () => gauss() * std)
        : randomTensorBytes(type, n, rand, std)
    push(name, dims, type, data)
  }
  const vec = (name: string, n: number, f: () => number) =>
    push(name, [n], 'F32', f32(n, f))
  const norm = (name: string, n: number) =>
    vec(name, n, () => 1 + 0.1 * gauss())
  const t: GgmlTypeName = quant
  const moe = family === 'qwen35moe'
  const V = TINY_MOE_VOCAB
  const Dk = c.stateSize
  const keyDim = c.keyHeads * Dk
  const valueDim = c.valueHeads * Dk
  const convDim = 2 * keyDim + valueDim

  add('token_embd.weight', [D, V], t, 1)
  for (let i = 0; i < c.layers; i++) {
    const b = `blk.${i}.`
    norm(`${b}attn_norm.weight`, D)
    if ((i + 1) % c.fullEvery !== 0) {
      add(`${b}attn_qkv.weight`, [D, convDim], t, 1 / 16)
      add(`${b}attn_gate.weight`, [D, valueDim], t, 1 / 16)
      add(`${b}ssm_conv1d.weight`, [c.conv, convDim], 'F32', 1 / 2)
      vec(`${b}ssm_dt.bias`, c.valueHeads, () => gauss() * 0.5)
      vec(`${b}ssm_a`, c.valueHeads, () => -Math.exp(gauss() * 0.5))
      add(`${b}ssm_beta.weight`, [D, c.valueHeads], 'F32', 1 / 16)
      add(`${b}ssm_alpha.weight`, [D, c.valueHeads], 'F32', 1 / 16)
      norm(`${b}ssm_norm.weight`, Dk)
      add(`${b}ssm_out.weight`, [valueDim, D], t, 1 / 16)
    } else {
      const qn = c.heads * c.headDim
      add(`${b}attn_q.weight`, [D, 2 * qn], t, 1 / 16)
      add(`${b}attn_k.weight`, [D, c.kvHeads * c.headDim], t, 1 / 16)
      add(`${b}attn_v.weight`, [D, c.kvHeads * c.headDim], t, 1 / 16)
      add(`${b}attn_output.weight`, [qn, D], t, 1 / 16)
      norm(`${b}attn_q_norm.weight`, c.headDim)
      norm(`${b}attn_k_norm.weight`, c.headDim)
    }
    norm(`${b}post_attention_norm.weight`, D)
    if (moe) {
      const E = c.experts
      add(`${b}ffn_gate_inp.weight`, [D, E], 'F32', 1 / 4)
      add(`${b}ffn_gate_exps.weight`, [D, c.ff, E], t, 1 / 16)
      add(`${b}ffn_up_exps.weight`, [D, c.ff, E], t, 1 / 16)
      add(`${b}ffn_down_exps.weight`, [c.ff, D, E], t, 1 / 16)
      add(`${b}ffn_gate_inp_shexp.weight`, [D], 'F32', 1 / 4)
      add(`${b}ffn_gate_shexp.weight`, [D, c.ff], t, 1 / 16)
      add(`${b}ffn_up_shexp.weight`, [D, c.ff], t, 1 / 16)
      add(`${b}ffn_down_shexp.weight`, [c.ff, D], t, 1 / 16)
    } else {
      add(`${b}ffn_gate.weight`, [D, c.ff], t, 1 / 16)
      add(`${b}ffn_up.weight`, [D, c.ff], t, 1 / 16)
      add(`${b}ffn_down.weight`, [c.ff, D], t, 1 / 16)
    }
  }
  norm('output_norm.weight', D)
  add('output.weight', [D, V], t, 1 / 8)

  const k = (key: string) => `${family}.${key}`
  const u32 = (value: number): GgufValue => ({ type: 'u32', value })
  const meta: Record<string, GgufValue> = {
    'general.architecture': { type: 'string', value: family },
    'general.name': { type: 'string', value: `tiny-${family}-${quant}` },
    [k('context_length')]: u32(c.context),
    [k('embedding_length')]: u32(D),
    [k('block_count')]: u32(c.layers),
    [k('feed_forward_length')]: u32(c.ff),
    [k('attention.head_count')]: u32(c.heads),
    [k('attention.head_count_kv')]: u32(c.kvHeads),
    [k('attention.key_length')]: u32(c.headDim),
    [k('attention.value_length')]: u32(c.headDim),
    [k('attention.layer_norm_rms_epsilon')]: { type: 'f32', value: 1e-6 },
    [k('rope.freq_base')]: { type: 'f32', value: 10000000 },
    [k('rope.dimension_count')]: u32(c.ropeDims),
    // Interleaved M-RoPE sections covering every rotary pair (text: one position).
    [k('rope.dimension_sections')]: { type: 'i32s', value: [3, 3, 2, 0] },
    [k('full_attention_interval')]: u32(c.fullEvery),
    [k('ssm.conv_kernel')]: u32(c.conv),
    [k('ssm.state_size')]: u32(Dk),
    [k('ssm.group_count')]: u32(c.keyHeads),
    [k('ssm.time_step_rank')]: u32(c.valueHeads),
    [k('ssm.inner_size')]: u32(valueDim),
    ...(moe
      ? {
          [k('expert_count')]: u32(c.experts),
          [k('expert_used_count')]: u32(c.expertsUsed),
          [k('expert_feed_forward_length')]: u32(c.ff),
          [k('expert_shared_feed_forward_length')]: u32(c.ff),
        }
      : {}),
    ...tokenizerMetadata('qwen2'),
  }
  writeGguf(path, meta, tensors, Buffer.concat(chunks))
}

if (import.meta.main) {
  const [out, family, quant] = process.argv.slice(2)
  if (!out || !family || !quant)
    throw new Error(
      'usage: tinyQwen35Gguf.ts <out.gguf> <qwen35|qwen35moe> <F32|F16|Q8_0|Q4_K>',
    )
  writeTinyQwen35Gguf(out, family as Qwen35Family, quant as Qwen35Quant)
}
