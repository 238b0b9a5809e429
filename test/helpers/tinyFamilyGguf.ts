// The tiny family models (tinyFamilies.ts) as GGUF files llama.cpp loads as
// readily as our engine: llama.cpp's tensor names and metadata keys, its
// converter's conventions (Gemma norms stored as 1 + w, Q/K rows permuted for
// archs with interleaved rope, Llama 3 scaling as a rope_freqs tensor,
// LongRoPE factors as tensors) and a byte-level gpt2 vocabulary with pre
// "default". Matrices are stored as `type` through tensorBytes; norms, biases
// and rope tensors stay F32, as llama.cpp's quantizer leaves them.
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { GGML_TYPE_ID, type GgmlType, tensorBytes } from './ggmlTensor.ts'
import {
  FAMILY,
  type HfTensor,
  TINY,
  type TinyFamily,
  tinyFamilyWeights,
} from './tinyFamilies.ts'
import { type GgufTensorInfo, type GgufValue, ggufBytes } from './tinyGguf.ts'

/** GPT-2's byte -> printable character map. */
function byteTokens(): string[] {
  const printable = (b: number) =>
    (b >= 0x21 && b <= 0x7e) ||
    (b >= 0xa1 && b <= 0xac) ||
    (b >= 0xae && b <= 0xff)
  let extra = 0
  return Array.from({ length: 256 }, (_, b) =>
    String.fromCharCode(printable(b) ? b : 256 + extra++),
  )
}

/** 3 specials, 256 bytes, one merged token (" t"), unused controls. */
export function tinyVocabulary(): {
  tokens: string[]
  types: number[]
  merges: string[]
} {
  const tokens = ['<|endoftext|>', '<|im_start|>', '<|im_end|>']
  tokens.push(...byteTokens(), '\u0120t')
  while (tokens.length < TINY.vocab) tokens.push(`<|unused_${tokens.length}|>`)
  // One merge: GGUF writers and readers reject an empty list.
  const types = tokens.map((_, i) => (i < 3 || i >= 260 ? 3 : 1))
  return { tokens, types, merges: ['\u0120 t'] }
}

const LAYER_NAMES: [string, string][] = [
  ['input_layernorm', 'attn_norm'],
  ['pre_feedforward_layernorm', 'ffn_norm'],
  ['post_feedforward_layernorm', 'post_ffw_norm'],
  ['self_attn.q_proj', 'attn_q'],
  ['self_attn.k_proj', 'attn_k'],
  ['self_attn.v_proj', 'attn_v'],
  ['self_attn.o_proj', 'attn_output'],
  ['self_attn.qkv_proj', 'attn_qkv'],
  ['self_attn.q_norm', 'attn_q_norm'],
  ['self_attn.k_norm', 'attn_k_norm'],
  ['mlp.gate_proj', 'ffn_gate'],
  ['mlp.up_proj', 'ffn_up'],
  ['mlp.gate_up_proj', 'ffn_up'],
  ['mlp.down_proj', 'ffn_down'],
]

function ggufName(family: TinyFamily, hf: string): string {
  if (hf === 'model.embed_tokens.weight') return 'token_embd.weight'
  if (hf === 'model.norm.weight') return 'output_norm.weight'
  if (hf === 'lm_head.weight') return 'output.weight'
  const m = /^model\.layers\.(\d+)\.(.+)\.(weight|bias)$/.exec(hf)
  if (!m) throw new Error(`no GGUF name for ${hf}`)
  const [, layer, part, kind] = m
  let name = LAYER_NAMES.find(([h]) => h === part)?.[1]
  if (part === 'post_attention_layernorm')
    name = FAMILY[family].norms === 'pre' ? 'ffn_norm' : 'post_attention_norm'
  if (!name) throw new Error(`no GGUF name for ${hf}`)
  return `blk.${layer}.${name}.${kind}`
}

/** llama.cpp's converter permutation of Q/K rows for interleaved rope. */
function permuteRows(t: HfTensor, heads: number): Float32Array {
  const [rows = 0, cols = 0] = t.shape
  const hd = rows / heads
  const out = new Float32Array(t.values.length)
  for (let h = 0; h < heads; h++)
    for (let j = 0; j < hd / 2; j++)
      for (let k = 0; k < 2; k++) {
        const from = h * hd + k * (hd / 2) + j
        const to = h * hd + j * 2 + k
        out.set(t.values.subarray(from * cols, (from + 1) * cols), to * cols)
      }
  return out
}

/** Llama 3 rope_scaling as the per-frequency factors the converter writes. */
function llama3Factors(s: Record<string, number>, base: number): number[] {
  const dim = TINY.headDim
  const old = s.original_max_position_embeddings as number
  const low = old / (s.low_freq_factor as number)
  const high = old / (s.high_freq_factor as number)
  return Array.from({ length: dim / 2 }, (_, i) => {
    const wavelen = (2 * Math.PI) / Math.fround(1 / base ** ((2 * i) / dim))
    if (wavelen < high) return 1
    if (wavelen > low) return s.factor as number
    const smooth =
      (old / wavelen - (s.low_freq_factor as number)) /
      ((s.high_freq_factor as number) - (s.low_freq_factor as number))
    return 1 / ((1 - smooth) / (s.factor as number) + smooth)
  })
}

export type TinyFamilyOptions = {
  type?: GgmlType
  seed?: number
  /** Weights to write instead of the seeded ones (HF names and layouts). */
  weights?: Map<string, HfTensor>
  /** Bad-input tests: changes the metadata or tensor list before writing. */
  edit?: (meta: Record<string, GgufValue>, tensors: GgufTensor[]) => void
}

export type GgufTensor = {
  name: string
  dims: number[]
  type: GgmlType
  data: Buffer
}

export function tinyFamilyGguf(
  family: TinyFamily,
  options: TinyFamilyOptions = {},
): Buffer {
  const type = options.type ?? 'F32'
  const spec = FAMILY[family]
  const arch = family
  const ropeTheta = Number(spec.hf.rope_theta ?? 10_000)
  const meta: Record<string, GgufValue> = {
    'general.architecture': { type: 'string', value: arch },
    // Not the family's name: llama.cpp's vocabulary loader special-cases
    // names containing "phi3" and looks up tokens this vocabulary lacks.
    'general.name': { type: 'string', value: 'tiny random' },
  }
  const u32 = (k: string, value: number) => {
    meta[`${arch}.${k}`] = { type: 'u32', value }
  }
  u32('context_length', TINY.context)
  u32('embedding_length', TINY.hidden)
  u32('block_count', spec.layers)
  u32('feed_forward_length', TINY.ffn)
  u32('attention.head_count', TINY.heads)
  u32('attention.head_count_kv', TINY.kvHeads)
  u32('attention.key_length', TINY.headDim)
  u32('attention.value_length', TINY.headDim)
  u32('rope.dimension_count', TINY.headDim)
  meta[`${arch}.attention.layer_norm_rms_epsilon`] = {
    type: 'f32',
    value: 1e-6,
  }
  meta[`${arch}.rope.freq_base`] = { type: 'f32', value: ropeTheta }
  for (const [k, v] of Object.entries(spec.gguf)) meta[`${arch}.${k}`] = v
  const vocab = tinyVocabulary()
  meta['tokenizer.ggml.model'] = { type: 'string', value: 'gpt2' }
  meta['tokenizer.ggml.pre'] = { type: 'string', value: 'default' }
  meta['tokenizer.ggml.tokens'] = { type: 'strings', value: vocab.tokens }
  meta['tokenizer.ggml.token_type'] = { type: 'i32s', value: vocab.types }
  meta['tokenizer.ggml.merges'] = { type: 'strings', value: vocab.merges }
  meta['tokenizer.ggml.bos_token_id'] = { type: 'u32', value: 0 }
  meta['tokenizer.ggml.eos_token_id'] = { type: 'u32', value: 2 }
  meta['tokenizer.ggml.add_bos_token'] = { type: 'bool', value: false }

  const tensors: GgufTensor[] = []
  const weights = options.weights ?? tinyFamilyWeights(family, options.seed)
  for (const [hf, t] of weights) {
    let values = t.values
    if (spec.plusOne && hf.includes('norm'))
      values = values.map((v) => Math.fround(v + 1))
    if (spec.permuteQK && hf.endsWith('q_proj.weight'))
      values = permuteRows(t, TINY.heads)
    if (spec.permuteQK && hf.endsWith('k_proj.weight'))
      values = permuteRows(t, TINY.kvHeads)
    const matrix = t.shape.length === 2
    tensors.push({
      name: ggufName(family, hf),
      dims: [...t.shape].reverse(),
      type: matrix ? type : 'F32',
      data: tensorBytes(matrix ? type : 'F32', values),
    })
  }
  const rope = (name: string, values: number[]) =>
    tensors.push({
      name,
      dims: [values.length],
      type: 'F32',
      data: tensorBytes('F32', Float32Array.from(values)),
    })
  const scaling = spec.hf.rope_scaling as Record<string, unknown> | undefined
  if (scaling?.rope_type === 'llama3')
    rope(
      'rope_freqs.weight',
      llama3Factors(scaling as Record<string, number>, ropeTheta),
    )
  if (scaling?.type === 'longrope') {
    rope('rope_factors_long.weight', scaling.long_factor as number[])
    rope('rope_factors_short.weight', scaling.short_factor as number[])
  }
  options.edit?.(meta, tensors)
  let offset = 0n
  const infos: GgufTensorInfo[] = []
  const chunks: Buffer[] = []
  for (const t of tensors) {
    infos.push({
      name: t.name,
      dims: t.dims.map(BigInt),
      type: GGML_TYPE_ID[t.type],
      offset,
    })
    const padded = Math.ceil(t.data.length / 32) * 32
    chunks.push(t.data, Buffer.alloc(padded - t.data.length))
    offset += BigInt(padded)
  }
  return ggufBytes(meta, infos, Buffer.concat(chunks))
}

export function writeTinyFamilyGguf(
  path: string,
  family: TinyFamily,
  options: TinyFamilyOptions = {},
): { sha256: string } {
  const bytes = tinyFamilyGguf(family, options)
  writeFileSync(path, bytes)
  return { sha256: createHash('sha256').update(bytes).digest('hex') }
}
