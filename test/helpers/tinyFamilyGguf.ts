// Tiny random-weight GGUFs, one per decoder family, that llama.cpp loads as
// readily as our engine: llama.cpp's tensor names and metadata keys, a
// byte-level gpt2 vocabulary (pre "default"), hidden 256 and every matrix
// row a multiple of 256 so K-quant types fit. Seeded, so the bytes (and the
// sha256 the fixtures record) are reproducible. scripts/fixtures/
// tinyFamilies.py runs llama.cpp on the same files.
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { GGML_TYPE_ID, type GgmlType, tensorBytes } from './ggmlTensor.ts'
import { type GgufTensorInfo, type GgufValue, ggufBytes } from './tinyGguf.ts'

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

const LAYERS: Record<TinyFamily, number> = {
  llama: 2,
  qwen2: 2,
  qwen3: 2,
  gemma2: 4,
  gemma3: 6,
  phi3: 2,
  olmo2: 2,
  smollm3: 4,
  granite: 2,
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

function vocabulary(): { tokens: string[]; types: number[] } {
  const specials = ['<|endoftext|>', '<|im_start|>', '<|im_end|>']
  // One merge (" t"): writers and readers of GGUF reject an empty list.
  const tokens = [...specials, ...byteTokens(), '\u0120t']
  while (tokens.length < TINY.vocab) tokens.push(`<|unused_${tokens.length}|>`)
  const types = tokens.map((_, i) => (i < 3 || i >= 260 ? 3 : 1))
  return { tokens, types }
}

/** The token ids every fixture teacher-forces: seeded, byte tokens only. */
export function teacherTokens(seed = 7, n = 48): number[] {
  const r = prng(seed)
  return Array.from({ length: n }, () => 3 + Math.floor(r() * 256))
}

export type TinyFamilyOptions = { type?: GgmlType; seed?: number }

export function tinyFamilyGguf(
  family: TinyFamily,
  options: TinyFamilyOptions = {},
): Buffer {
  const type = options.type ?? 'F32'
  const random = prng(options.seed ?? 1234)
  const normal = () => {
    const u = 1 - random()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random())
  }
  const { hidden, heads, kvHeads, headDim, ffn, vocab } = TINY
  const layers = LAYERS[family]
  const arch = family
  const meta: Record<string, GgufValue> = {}
  const u32 = (k: string, v: number) => {
    meta[`${arch}.${k}`] = { type: 'u32', value: v }
  }
  const f32 = (k: string, v: number) => {
    meta[`${arch}.${k}`] = { type: 'f32', value: v }
  }
  meta['general.architecture'] = { type: 'string', value: arch }
  // Not the family's name: llama.cpp's vocabulary loader special-cases
  // names containing "phi3" and looks up tokens this vocabulary lacks.
  meta['general.name'] = { type: 'string', value: 'tiny random' }
  u32('context_length', TINY.context)
  u32('embedding_length', hidden)
  u32('block_count', layers)
  u32('feed_forward_length', ffn)
  u32('attention.head_count', heads)
  u32('attention.head_count_kv', kvHeads)
  u32('attention.key_length', headDim)
  u32('attention.value_length', headDim)
  u32('rope.dimension_count', headDim)
  f32('attention.layer_norm_rms_epsilon', 1e-6)
  f32('rope.freq_base', family === 'gemma3' ? 1_000_000 : 10_000)
  const { tokens, types } = vocabulary()
  meta['tokenizer.ggml.model'] = { type: 'string', value: 'gpt2' }
  meta['tokenizer.ggml.pre'] = { type: 'string', value: 'default' }
  meta['tokenizer.ggml.tokens'] = { type: 'strings', value: tokens }
  meta['tokenizer.ggml.token_type'] = { type: 'i32s', value: types }
  meta['tokenizer.ggml.merges'] = { type: 'strings', value: ['\u0120 t'] }
  meta['tokenizer.ggml.bos_token_id'] = { type: 'u32', value: 0 }
  meta['tokenizer.ggml.eos_token_id'] = { type: 'u32', value: 2 }
  meta['tokenizer.ggml.add_bos_token'] = { type: 'bool', value: false }

  const tensors: {
    name: string
    dims: number[]
    type: GgmlType
    data: Buffer
  }[] = []
  const put = (name: string, dims: number[], t: GgmlType, v: Float32Array) =>
    tensors.push({ name, dims, type: t, data: tensorBytes(t, v) })
  const fill = (n: number, f: () => number) =>
    Float32Array.from({ length: n }, f)
  // [out, in] matrix, ggml dims [in, out]
  const matrix = (
    name: string,
    out: number,
    inDim: number,
    std = 1 / Math.sqrt(inDim),
  ) =>
    put(
      name,
      [inDim, out],
      type,
      fill(out * inDim, () => normal() * std),
    )
  const vector = (name: string, n: number, around = 1) =>
    put(
      name,
      [n],
      'F32',
      fill(n, () => around + normal() * 0.1),
    )

  // Tied families read logits off the embeddings: small embeddings keep the
  // input token from dominating its own prediction (Gemma scales them up by
  // sqrt(hidden) on the way in).
  const tied = family === 'qwen2' || family === 'gemma2' || family === 'gemma3'
  const gemma = family === 'gemma2' || family === 'gemma3'
  matrix(
    'token_embd.weight',
    vocab,
    hidden,
    tied ? (gemma ? 0.2 : 1) / Math.sqrt(hidden) : 1,
  )
  vector('output_norm.weight', hidden)
  // Granite divides logits by logit_scale (8): keep their spread similar.
  if (!tied)
    matrix(
      'output.weight',
      vocab,
      hidden,
      (family === 'granite' ? 8 : 1) / Math.sqrt(hidden),
    )
  const q = heads * headDim
  const kv = kvHeads * headDim
  for (let i = 0; i < layers; i++) {
    const p = `blk.${i}.`
    if (family !== 'olmo2') vector(`${p}attn_norm.weight`, hidden)
    if (family === 'phi3') matrix(`${p}attn_qkv.weight`, q + 2 * kv, hidden)
    else {
      matrix(`${p}attn_q.weight`, q, hidden)
      matrix(`${p}attn_k.weight`, kv, hidden)
      matrix(`${p}attn_v.weight`, kv, hidden)
    }
    if (family === 'qwen2')
      for (const [n, rows] of [
        ['q', q],
        ['k', kv],
        ['v', kv],
      ] as const)
        vector(`${p}attn_${n}.bias`, rows, 0)
    if (family === 'qwen3' || family === 'gemma3') {
      vector(`${p}attn_q_norm.weight`, headDim)
      vector(`${p}attn_k_norm.weight`, headDim)
    }
    if (family === 'olmo2') {
      vector(`${p}attn_q_norm.weight`, q)
      vector(`${p}attn_k_norm.weight`, kv)
    }
    matrix(`${p}attn_output.weight`, hidden, q)
    const sandwich = family === 'gemma2' || family === 'gemma3'
    if (sandwich || family === 'olmo2')
      vector(`${p}post_attention_norm.weight`, hidden)
    if (family !== 'olmo2') vector(`${p}ffn_norm.weight`, hidden)
    if (family === 'phi3') matrix(`${p}ffn_up.weight`, 2 * ffn, hidden)
    else {
      matrix(`${p}ffn_gate.weight`, ffn, hidden)
      matrix(`${p}ffn_up.weight`, ffn, hidden)
    }
    matrix(`${p}ffn_down.weight`, hidden, ffn)
    if (sandwich || family === 'olmo2')
      vector(`${p}post_ffw_norm.weight`, hidden)
  }
  familyExtras(family, { u32, f32, meta, vector, put })
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

type Extras = {
  u32: (k: string, v: number) => void
  f32: (k: string, v: number) => void
  meta: Record<string, GgufValue>
  vector: (name: string, n: number, around?: number) => void
  put: (name: string, dims: number[], t: GgmlType, v: Float32Array) => void
}

/** Each family's own keys and tensors (what its features need). */
function familyExtras(family: TinyFamily, x: Extras): void {
  const half = TINY.headDim / 2
  const factors = (lo: number, hi: number) =>
    Float32Array.from(
      { length: half },
      (_, i) => lo + ((hi - lo) * i) / (half - 1),
    )
  const str = (k: string, v: string) => {
    x.meta[`${family}.${k}`] = { type: 'string', value: v }
  }
  if (family === 'llama')
    x.put('rope_freqs.weight', [half], 'F32', factors(1, 8))
  if (family === 'qwen2') {
    str('rope.scaling.type', 'yarn')
    x.f32('rope.scaling.factor', 4)
    x.u32('rope.scaling.original_context_length', 32)
  }
  if (family === 'gemma3') x.u32('attention.sliding_window', TINY.window)
  if (family === 'gemma2') {
    x.u32('attention.sliding_window', TINY.window)
    x.f32('attn_logit_softcapping', 4)
    x.f32('final_logit_softcapping', 3)
  }
  if (family === 'phi3') {
    x.put('rope_factors_long.weight', [half], 'F32', factors(1, 6))
    x.put('rope_factors_short.weight', [half], 'F32', factors(1, 1.5))
    x.u32('rope.scaling.original_context_length', 64)
    x.f32(
      'rope.scaling.attn_factor',
      Math.sqrt(1 + Math.log(TINY.context / 64) / Math.log(64)),
    )
  }
  if (family === 'granite') {
    x.f32('embedding_scale', 12)
    x.f32('residual_scale', 0.22)
    x.f32('attention.scale', 0.03)
    x.f32('logit_scale', 8)
  }
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
