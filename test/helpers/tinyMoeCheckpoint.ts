// Tiny random-weight Hugging Face MoE checkpoints (Qwen3-MoE, Mixtral,
// gpt-oss) and, from the very same weights, an F32 GGUF with llama.cpp's
// names for the llama.cpp reference. Layouts covered:
//  - `hf`: the transformers checkpoint names (per-expert tensors
//    mlp.experts.E.gate_proj / block_sparse_moe.experts.E.w1; gpt-oss's
//    fused, interleaved, transposed mlp.experts.gate_up_proj);
//  - `mlx`: mlx-lm's stacked names (switch_mlp.* / experts.*_proj),
//    optionally MLX-quantized (affine, `bits`/`group`; routers 8-bit as
//    mlx-lm's quant predicates leave them). The GGUF then holds the
//    dequantized values, so both sides run the same numbers.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { GGML_TYPES, gaussian, seededRandom } from './ggufTensorData.ts'
import { fusedBiases, fusedWeights, mxfp4Experts } from './gptOssExperts.ts'
import {
  safetensorsBytes,
  type SafeTensor as Tensor,
  tokenizerJson,
} from './tinyCheckpoint.ts'
import { type GgufTensorInfo, type GgufValue, writeGguf } from './tinyGguf.ts'
import { TINY_MOE, TINY_MOE_VOCAB, tokenizerMetadata } from './tinyMoeGguf.ts'

export type HfMoeFamily = 'qwen3_moe' | 'mixtral' | 'gpt_oss'
export type HfMoeOptions = {
  layout: 'hf' | 'mlx'
  quantize?: { bits: number; group: number }
  /** gpt_oss `hf` layout: experts as the original MXFP4 release stores them. */
  mxfp4?: boolean
  seed?: number
}

type Matrix = { shape: number[]; data: Float32Array }
const LAYERS = 2
const EXPERTS = 8

/** MLX affine quantization of rows of `cols` values; returns the dequantized values too. */
function mlxQuantize(m: Matrix, bits: number, group: number) {
  const cols = m.shape[m.shape.length - 1] as number
  const rows = m.data.length / cols
  const levels = (1 << bits) - 1
  const packed = new Uint32Array((m.data.length * bits) / 32)
  const scales = new Float32Array(m.data.length / group)
  const biases = new Float32Array(m.data.length / group)
  const dequant = new Float32Array(m.data.length)
  for (let g = 0; g < rows * (cols / group); g++) {
    const start = g * group
    let lo = Number.POSITIVE_INFINITY
    let hi = Number.NEGATIVE_INFINITY
    for (let j = 0; j < group; j++) {
      lo = Math.min(lo, m.data[start + j] as number)
      hi = Math.max(hi, m.data[start + j] as number)
    }
    const scale = Math.fround((hi - lo) / levels || 1)
    const bias = Math.fround(lo)
    scales[g] = scale
    biases[g] = bias
    for (let j = 0; j < group; j++) {
      const i = start + j
      const v = m.data[i] as number
      const q = Math.min(levels, Math.max(0, Math.round((v - bias) / scale)))
      dequant[i] = Math.fround(scale * q + bias)
      const bit = i * bits
      packed[bit >>> 5] =
        ((packed[bit >>> 5] as number) | (q << (bit & 31))) >>> 0
    }
  }
  const lead = m.shape.slice(0, -1)
  return {
    weight: u32([...lead, (cols * bits) / 32], packed),
    scales: f32t([...lead, cols / group], scales),
    biases: f32t([...lead, cols / group], biases),
    dequant,
  }
}

const f32t = (shape: number[], data: Float32Array): Tensor => ({
  dtype: 'F32',
  shape,
  data: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
})
const u32 = (shape: number[], data: Uint32Array): Tensor => ({
  dtype: 'U32',
  shape,
  data: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
})

/** llama.cpp's Q/K row permutation of llama-arch checkpoints (rope layout). */
function permuteRows(m: Matrix, heads: number): Float32Array {
  const [rows, cols] = m.shape as [number, number]
  const hd = rows / heads
  const out = new Float32Array(m.data.length)
  for (let h = 0; h < heads; h++)
    for (let j = 0; j < hd / 2; j++)
      for (let s = 0; s < 2; s++) {
        const src = h * hd + s * (hd / 2) + j
        const dst = h * hd + 2 * j + s
        out.set(m.data.subarray(src * cols, (src + 1) * cols), dst * cols)
      }
  return out
}

/**
 * Writes the checkpoint into `dir` and the matching F32 GGUF to `ggufPath`.
 */
export function writeTinyMoeCheckpoint(
  dir: string,
  ggufPath: string,
  family: HfMoeFamily,
  options: HfMoeOptions,
): void {
  const { hidden: D, heads, kvHeads, headDim: hd, expertFf: F } = TINY_MOE
  const V = TINY_MOE_VOCAB
  const E = EXPERTS
  const k = family === 'gpt_oss' ? 4 : 2
  const rand = seededRandom(options.seed ?? 11)
  const gauss = gaussian(rand)
  const oss = family === 'gpt_oss'
  const q = options.quantize
  const st = new Map<string, Tensor>()
  // name, HF shape, F32 values or raw MXFP4 blocks
  const gg: [string, number[], Float32Array | Buffer][] = []

  const random = (shape: number[], std: number, mean = 0): Matrix => ({
    shape,
    data: Float32Array.from(
      { length: shape.reduce((a, b) => a * b, 1) },
      () => mean + gauss() * std,
    ),
  })
  // A tensor as the checkpoint stores it (matrices MLX-quantized when asked,
  // `bits` overriding); returns the values the model runs.
  const put = (name: string, m: Matrix, bits = q?.bits): Float32Array => {
    if (!q || !bits || !name.endsWith('.weight') || m.shape.length < 2) {
      st.set(name, f32t(m.shape, m.data))
      return m.data
    }
    const base = name.slice(0, -'.weight'.length)
    const r = mlxQuantize(m, bits, q.group)
    st.set(`${base}.weight`, r.weight)
    st.set(`${base}.scales`, r.scales)
    st.set(`${base}.biases`, r.biases)
    return r.dequant
  }
  const gguf = (name: string, shape: number[], data: Float32Array | Buffer) =>
    gg.push([name, shape, data])

  const pre = 'model.'
  gguf(
    'token_embd.weight',
    [V, D],
    put(`${pre}embed_tokens.weight`, random([V, D], 1)),
  )
  for (let i = 0; i < LAYERS; i++) {
    const p = `${pre}layers.${i}.`
    const b = `blk.${i}.`
    gguf(
      `${b}attn_norm.weight`,
      [D],
      put(`${p}input_layernorm.weight`, random([D], 0.1, 1)),
    )
    gguf(
      `${b}${oss ? 'post_attention_norm' : 'ffn_norm'}.weight`,
      [D],
      put(`${p}post_attention_layernorm.weight`, random([D], 0.1, 1)),
    )
    for (const [n, rows] of [
      ['q', heads * hd],
      ['k', kvHeads * hd],
      ['v', kvHeads * hd],
    ] as const) {
      const m = random([rows, D], 1 / 16)
      m.data = put(`${p}self_attn.${n}_proj.weight`, m)
      // llama.cpp wants Mixtral's (llama-arch) q/k rows in its rope layout.
      const rope = family === 'mixtral' && n !== 'v'
      gguf(
        `${b}attn_${n}.weight`,
        [rows, D],
        rope ? permuteRows(m, n === 'q' ? heads : kvHeads) : m.data,
      )
      if (oss)
        gguf(
          `${b}attn_${n}.bias`,
          [rows],
          put(`${p}self_attn.${n}_proj.bias`, random([rows], 0.1)),
        )
    }
    gguf(
      `${b}attn_output.weight`,
      [D, heads * hd],
      put(`${p}self_attn.o_proj.weight`, random([D, heads * hd], 1 / 16)),
    )
    if (family === 'qwen3_moe') {
      gguf(
        `${b}attn_q_norm.weight`,
        [hd],
        put(`${p}self_attn.q_norm.weight`, random([hd], 0.1, 1)),
      )
      gguf(
        `${b}attn_k_norm.weight`,
        [hd],
        put(`${p}self_attn.k_norm.weight`, random([hd], 0.1, 1)),
      )
    }
    if (oss) {
      gguf(
        `${b}attn_output.bias`,
        [D],
        put(`${p}self_attn.o_proj.bias`, random([D], 0.1)),
      )
      gguf(
        `${b}attn_sinks.weight`,
        [heads],
        put(`${p}self_attn.sinks`, random([heads], 1)),
      )
    }
    // Router: 8-bit when quantized (mlx-lm's predicate for MoE gates).
    const router = oss
      ? `${p}mlp.router`
      : family === 'mixtral'
        ? `${p}block_sparse_moe.gate`
        : `${p}mlp.gate`
    gguf(
      `${b}ffn_gate_inp.weight`,
      [E, D],
      put(`${router}.weight`, random([E, D], 1 / 4), q ? 8 : undefined),
    )
    if (oss)
      gguf(
        `${b}ffn_gate_inp.bias`,
        [E],
        put(`${router}.bias`, random([E], 0.5)),
      )
    const experts = {
      gate: random([E, F, D], 1 / 16),
      up: random([E, F, D], 1 / 16),
      down: random([E, D, F], 1 / 16),
    }
    const biases = oss
      ? {
          gate: random([E, F], 0.1),
          up: random([E, F], 0.1),
          down: random([E, D], 0.1),
        }
      : undefined
    const blocks = options.mxfp4 ? mxfp4Experts(E, F, D, rand) : undefined
    for (const part of ['gate', 'up', 'down'] as const) {
      const m = experts[part]
      let values = m.data
      if (options.layout === 'mlx') {
        const base = oss
          ? `${p}mlp.experts.${part}_proj`
          : `${p}${family === 'mixtral' ? 'block_sparse_moe' : 'mlp'}.switch_mlp.${part}_proj`
        values = put(`${base}.weight`, m)
        if (biases) put(`${base}.bias`, biases[part])
      } else if (!oss) {
        const per = m.data.length / E
        const name =
          family === 'mixtral'
            ? { gate: 'w1', up: 'w3', down: 'w2' }[part]
            : `${part}_proj`
        const moe = family === 'mixtral' ? 'block_sparse_moe' : 'mlp'
        for (let e = 0; e < E; e++)
          put(`${p}${moe}.experts.${e}.${name}.weight`, {
            shape: m.shape.slice(1),
            data: m.data.slice(e * per, (e + 1) * per),
          })
      }
      gguf(`${b}ffn_${part}_exps.weight`, m.shape, blocks?.ggml[part] ?? values)
      if (biases)
        gguf(`${b}ffn_${part}_exps.bias`, biases[part].shape, biases[part].data)
    }
    if (oss && options.layout === 'hf') {
      const bias = biases as Record<'gate' | 'up' | 'down', Matrix>
      const tensors = {
        ...(blocks?.hf ?? fusedWeights(experts.gate, experts.up, experts.down)),
        ...fusedBiases(bias.gate, bias.up, bias.down),
      }
      for (const [name, t] of Object.entries(tensors))
        st.set(`${p}mlp.experts.${name}`, t)
    }
  }
  gguf('output_norm.weight', [D], put(`${pre}norm.weight`, random([D], 0.1, 1)))
  gguf('output.weight', [V, D], put('lm_head.weight', random([V, D], 1 / 8)))

  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'model.safetensors'), safetensorsBytes(st))
  writeFileSync(
    join(dir, 'tokenizer.json'),
    JSON.stringify(tokenizerJson().json),
  )
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({ add_bos_token: false, eos_token: '<|im_end|>' }),
  )
  const config: Record<string, unknown> = {
    model_type: family,
    hidden_size: D,
    num_hidden_layers: LAYERS,
    num_attention_heads: heads,
    num_key_value_heads: kvHeads,
    head_dim: hd,
    vocab_size: V,
    max_position_embeddings: TINY_MOE.context,
    rms_norm_eps: 1e-5,
    rope_theta: oss ? 150000 : 10000,
    tie_word_embeddings: false,
    eos_token_id: 2,
    ...(family === 'qwen3_moe'
      ? {
          num_experts: E,
          num_experts_per_tok: k,
          moe_intermediate_size: F,
          norm_topk_prob: true,
        }
      : { num_local_experts: E, num_experts_per_tok: k, intermediate_size: F }),
    ...(oss
      ? {
          sliding_window: 8,
          layer_types: ['sliding_attention', 'full_attention'],
          attention_bias: true,
          rope_scaling: {
            rope_type: 'yarn',
            factor: 4,
            original_max_position_embeddings: TINY_MOE.context / 4,
            beta_fast: 32,
            beta_slow: 1,
          },
        }
      : {}),
    ...(q ? { quantization: { group_size: q.group, bits: q.bits } } : {}),
  }
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2))

  // The same model for llama.cpp: F32, its names and metadata.
  const arch = family === 'qwen3_moe' ? 'qwen3moe' : oss ? 'gpt-oss' : 'llama'
  const key = (s: string) => `${arch}.${s}`
  const n32 = (value: number): GgufValue => ({ type: 'u32', value })
  const meta: Record<string, GgufValue> = {
    'general.architecture': { type: 'string', value: arch },
    [key('context_length')]: n32(TINY_MOE.context),
    [key('embedding_length')]: n32(D),
    [key('block_count')]: n32(LAYERS),
    [key('feed_forward_length')]: n32(F),
    [key('attention.head_count')]: n32(heads),
    [key('attention.head_count_kv')]: n32(kvHeads),
    [key('attention.key_length')]: n32(hd),
    [key('attention.value_length')]: n32(hd),
    [key('attention.layer_norm_rms_epsilon')]: { type: 'f32', value: 1e-5 },
    [key('rope.freq_base')]: { type: 'f32', value: oss ? 150000 : 10000 },
    [key('expert_count')]: n32(E),
    [key('expert_used_count')]: n32(k),
    ...(family !== 'mixtral'
      ? { [key('expert_feed_forward_length')]: n32(F) }
      : {}),
    ...(oss
      ? {
          [key('attention.sliding_window')]: n32(8),
          [key('rope.scaling.type')]: { type: 'string', value: 'yarn' },
          [key('rope.scaling.factor')]: { type: 'f32', value: 4 },
          [key('rope.scaling.original_context_length')]: n32(
            TINY_MOE.context / 4,
          ),
        }
      : {}),
    ...tokenizerMetadata('qwen2'),
  }
  const tensors: GgufTensorInfo[] = []
  const chunks: Buffer[] = []
  let offset = 0
  for (const [name, shape, data] of gg) {
    const raw = Buffer.isBuffer(data)
    tensors.push({
      name,
      dims: [...shape].reverse().map(BigInt),
      type: raw ? GGML_TYPES.MXFP4.id : 0,
      offset: BigInt(offset),
    })
    const src = raw
      ? data
      : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    const bytes = Buffer.alloc(Math.ceil(src.length / 32) * 32)
    src.copy(bytes)
    chunks.push(bytes)
    offset += bytes.length
  }
  writeGguf(ggufPath, meta, tensors, Buffer.concat(chunks))
}

if (import.meta.main) {
  const [dir, gguf, family, layout, bits, group] = process.argv
    .slice(2)
    .filter((a) => a !== '--mxfp4')
  if (!dir || !gguf || !family || !layout)
    throw new Error(
      'usage: tinyMoeCheckpoint.ts <dir> <out.gguf> <family> <hf|mlx> [bits group]',
    )
  writeTinyMoeCheckpoint(dir, gguf, family as HfMoeFamily, {
    layout: layout as 'hf' | 'mlx',
    mxfp4: process.argv.includes('--mxfp4'),
    ...(bits && group
      ? { quantize: { bits: Number(bits), group: Number(group) } }
      : {}),
  })
}
