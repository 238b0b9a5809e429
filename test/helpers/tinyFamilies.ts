// Tiny random-weight decoders, one per family, described once in Hugging
// Face layout (names, shapes, raw norm weights) with the family's config
// and GGUF keys; tinyFamilyGguf.ts and tinyFamilyHf.ts serialise the same
// weights as llama.cpp's GGUF and as an HF checkpoint. Hidden 256 and every
// matrix row a multiple of 256, so K-quant types fit. Seeded: the bytes
// (and the sha256 the fixtures record) are reproducible.
import type { GgufValue } from './tinyGguf.ts'

export type TinyFamily =
  | 'llama'
  | 'qwen2'
  | 'qwen3'
  | 'gemma2'
  | 'gemma3'
  | 'phi3'
  | 'olmo2'
  | 'smollm3'
  | 'granite'

export const TINY_FAMILIES: TinyFamily[] = [
  'llama',
  'qwen2',
  'qwen3',
  'gemma2',
  'gemma3',
  'phi3',
  'olmo2',
  'smollm3',
  'granite',
]

export const TINY = {
  hidden: 256,
  heads: 4,
  kvHeads: 2,
  headDim: 64,
  ffn: 512,
  vocab: 320,
  context: 256,
  window: 16,
} as const

/** What a family's weights and files look like. */
export type FamilySpec = {
  layers: number
  /** LM head = token embeddings. */
  tied: boolean
  /** Norm placement: pre (Llama), sandwich (Gemma), post (OLMo 2). */
  norms: 'pre' | 'sandwich' | 'post'
  /** HF stores w and scales by (1 + w); GGUF stores 1 + w. */
  plusOne: boolean
  qkNorm: 'none' | 'head' | 'full'
  qkvBias: boolean
  /** Phi-3: qkv_proj and gate_up_proj. */
  fused: boolean
  /** llama.cpp permutes Q/K rows of these archs for its interleaved rope. */
  permuteQK: boolean
  /** config.json fields beyond the shared ones. */
  hf: Record<string, unknown>
  /** GGUF "<arch>.*" keys beyond the shared ones. */
  gguf: Record<string, GgufValue>
}

const half = TINY.headDim / 2
const ramp = (lo: number, hi: number) =>
  Array.from({ length: half }, (_, i) =>
    Math.fround(lo + ((hi - lo) * i) / (half - 1)),
  )
const PHI3_ORIGINAL = 64

const base: FamilySpec = {
  layers: 2,
  tied: false,
  norms: 'pre',
  plusOne: false,
  qkNorm: 'none',
  qkvBias: false,
  fused: false,
  permuteQK: false,
  hf: {},
  gguf: {},
}

export const FAMILY: Record<TinyFamily, FamilySpec> = {
  llama: {
    ...base,
    permuteQK: true,
    hf: {
      rope_scaling: {
        rope_type: 'llama3',
        factor: 8,
        low_freq_factor: 1,
        high_freq_factor: 4,
        original_max_position_embeddings: 64,
      },
    },
  },
  qwen2: {
    ...base,
    tied: true,
    qkvBias: true,
    hf: {
      rope_scaling: {
        type: 'yarn',
        factor: 4,
        original_max_position_embeddings: 32,
      },
    },
    gguf: {
      'rope.scaling.type': { type: 'string', value: 'yarn' },
      'rope.scaling.factor': { type: 'f32', value: 4 },
      'rope.scaling.original_context_length': { type: 'u32', value: 32 },
    },
  },
  qwen3: { ...base, qkNorm: 'head' },
  gemma2: {
    ...base,
    layers: 4,
    tied: true,
    norms: 'sandwich',
    plusOne: true,
    hf: {
      hidden_activation: 'gelu_pytorch_tanh',
      query_pre_attn_scalar: TINY.headDim,
      sliding_window: TINY.window,
      attn_logit_softcapping: 4,
      final_logit_softcapping: 3,
    },
    gguf: {
      'attention.sliding_window': { type: 'u32', value: TINY.window },
      attn_logit_softcapping: { type: 'f32', value: 4 },
      final_logit_softcapping: { type: 'f32', value: 3 },
    },
  },
  gemma3: {
    ...base,
    layers: 6,
    tied: true,
    norms: 'sandwich',
    plusOne: true,
    qkNorm: 'head',
    hf: {
      hidden_activation: 'gelu_pytorch_tanh',
      query_pre_attn_scalar: TINY.headDim,
      sliding_window: TINY.window,
      sliding_window_pattern: 6,
      rope_local_base_freq: 10_000,
      rope_theta: 1_000_000,
    },
    gguf: { 'attention.sliding_window': { type: 'u32', value: TINY.window } },
  },
  phi3: {
    ...base,
    fused: true,
    hf: {
      original_max_position_embeddings: PHI3_ORIGINAL,
      rope_scaling: {
        type: 'longrope',
        short_factor: ramp(1, 1.5),
        long_factor: ramp(1, 6),
      },
    },
    // The attention factor llama.cpp's converter writes for LongRoPE.
    gguf: {
      'rope.scaling.original_context_length': {
        type: 'u32',
        value: PHI3_ORIGINAL,
      },
      'rope.scaling.attn_factor': {
        type: 'f32',
        value: Math.sqrt(
          1 + Math.log(TINY.context / PHI3_ORIGINAL) / Math.log(PHI3_ORIGINAL),
        ),
      },
    },
  },
  olmo2: { ...base, norms: 'post', qkNorm: 'full' },
  smollm3: {
    ...base,
    layers: 4,
    permuteQK: true,
    hf: { no_rope_layer_interval: 4 },
  },
  granite: {
    ...base,
    permuteQK: true,
    hf: {
      embedding_multiplier: 12,
      residual_multiplier: 0.22,
      attention_multiplier: 0.03,
      logits_scaling: 8,
    },
    gguf: {
      embedding_scale: { type: 'f32', value: 12 },
      residual_scale: { type: 'f32', value: 0.22 },
      'attention.scale': { type: 'f32', value: 0.03 },
      logit_scale: { type: 'f32', value: 8 },
    },
  },
}

/** mulberry32 */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The token ids every fixture teacher-forces: seeded, byte tokens only. */
export function teacherTokens(seed = 7, n = 48): number[] {
  const r = prng(seed)
  return Array.from({ length: n }, () => 3 + Math.floor(r() * 256))
}

export type HfTensor = { shape: number[]; values: Float32Array }

/** The family's random weights, HF names and [out, in] layouts. */
export function tinyFamilyWeights(
  family: TinyFamily,
  seed = 1234,
): Map<string, HfTensor> {
  const spec = FAMILY[family]
  const random = prng(seed)
  const normal = () => {
    const u = 1 - random()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random())
  }
  const { hidden, heads, kvHeads, headDim, ffn, vocab } = TINY
  const w = new Map<string, HfTensor>()
  const fill = (n: number, f: () => number) =>
    Float32Array.from({ length: n }, f)
  const matrix = (name: string, out: number, inDim: number, scale = 1) =>
    w.set(name, {
      shape: [out, inDim],
      values: fill(out * inDim, () => (normal() * scale) / Math.sqrt(inDim)),
    })
  // Norm weights near 1 as the model applies them (HF Gemma: 1 + w).
  const norm = (name: string, n: number) =>
    w.set(name, {
      shape: [n],
      values: fill(n, () => (spec.plusOne ? 0 : 1) + normal() * 0.1),
    })
  const bias = (name: string, n: number) =>
    w.set(name, { shape: [n], values: fill(n, () => normal() * 0.1) })
  // Tied heads read logits off the embeddings: small embeddings keep the
  // input token from dominating its own prediction (Gemma scales them up by
  // sqrt(hidden) on the way in); Granite divides logits by 8.
  const gemma = family === 'gemma2' || family === 'gemma3'
  const embedScale = spec.tied ? (gemma ? 0.2 : 1) : Math.sqrt(hidden)
  matrix('model.embed_tokens.weight', vocab, hidden, embedScale)
  const q = heads * headDim
  const kv = kvHeads * headDim
  for (let i = 0; i < spec.layers; i++) {
    const p = `model.layers.${i}.`
    if (spec.norms !== 'post') norm(`${p}input_layernorm.weight`, hidden)
    if (spec.fused) matrix(`${p}self_attn.qkv_proj.weight`, q + 2 * kv, hidden)
    else {
      matrix(`${p}self_attn.q_proj.weight`, q, hidden)
      matrix(`${p}self_attn.k_proj.weight`, kv, hidden)
      matrix(`${p}self_attn.v_proj.weight`, kv, hidden)
    }
    if (spec.qkvBias)
      for (const [n, rows] of [
        ['q', q],
        ['k', kv],
        ['v', kv],
      ] as const)
        bias(`${p}self_attn.${n}_proj.bias`, rows)
    if (spec.qkNorm !== 'none') {
      norm(`${p}self_attn.q_norm.weight`, spec.qkNorm === 'full' ? q : headDim)
      norm(`${p}self_attn.k_norm.weight`, spec.qkNorm === 'full' ? kv : headDim)
    }
    matrix(`${p}self_attn.o_proj.weight`, hidden, q)
    norm(`${p}post_attention_layernorm.weight`, hidden)
    if (spec.norms === 'sandwich')
      norm(`${p}pre_feedforward_layernorm.weight`, hidden)
    if (spec.fused) matrix(`${p}mlp.gate_up_proj.weight`, 2 * ffn, hidden)
    else {
      matrix(`${p}mlp.gate_proj.weight`, ffn, hidden)
      matrix(`${p}mlp.up_proj.weight`, ffn, hidden)
    }
    matrix(`${p}mlp.down_proj.weight`, hidden, ffn)
    if (spec.norms !== 'pre')
      norm(`${p}post_feedforward_layernorm.weight`, hidden)
  }
  norm('model.norm.weight', hidden)
  if (!spec.tied)
    matrix('lm_head.weight', vocab, hidden, family === 'granite' ? 8 : 1)
  return w
}
