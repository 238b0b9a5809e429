// Writes tiny random-weight Hugging Face checkpoints (config.json,
// model.safetensors, tokenizer.json, tokenizer_config.json) so that every
// decoder architecture can be tested without downloading weights. A seeded
// PRNG makes the files byte-for-byte reproducible.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export type TinyArchitecture = 'llama' | 'mistral' | 'qwen2' | 'qwen3'

export type TinyCheckpointOptions = {
  seed?: number
  /** Llama-3 style rope_scaling block for config.json. */
  ropeScaling?: Record<string, unknown>
  /** Store linears and the embedding MLX-quantized (affine, 4 bits, group 32). */
  quantize?: boolean
  /** Decoder width (default 64; must be a multiple of 4 heads x 2). */
  hiddenSize?: number
  /** HF names of the decoder weights, nested as VLMs do (default "model."). */
  weightPrefix?: string
  lmHeadName?: string
  /** Extra special tokens appended after the byte alphabet (e.g. `<image>`). */
  extraSpecialTokens?: string[]
  /** Weights file name (default model.safetensors). */
  weightsFile?: string
}

export type TinyCheckpoint = {
  config: Record<string, unknown>
  vocabSize: number
  tensorNames: string[]
}

const HIDDEN_DEFAULT = 64
const LAYERS = 2
const HEADS = 4
const KV_HEADS = 2
const INTERMEDIATE = 128
const QUANT_GROUP = 32
const QUANT_BITS = 4

const SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>']
const EOS_ID = 2

const CHATML =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** GPT-2's reversible byte -> printable character map (byte-level BPE). */
function byteLevelAlphabet(): string[] {
  const printable = (b: number) =>
    (b >= 0x21 && b <= 0x7e) ||
    (b >= 0xa1 && b <= 0xac) ||
    (b >= 0xae && b <= 0xff)
  const chars: string[] = []
  let extra = 0
  for (let b = 0; b < 256; b++)
    chars.push(String.fromCharCode(printable(b) ? b : 256 + extra++))
  return chars
}

/** A byte-level BPE tokenizer with no merges: 3 special tokens + 256 bytes (+ extras). */
export function tokenizerJson(extra: string[] = []): {
  json: object
  size: number
} {
  const vocab: Record<string, number> = {}
  SPECIAL_TOKENS.forEach((t, i) => {
    vocab[t] = i
  })
  for (const c of byteLevelAlphabet()) vocab[c] = Object.keys(vocab).length
  const extraIds = extra.map((t) => {
    vocab[t] = Object.keys(vocab).length
    return vocab[t] as number
  })
  const byteLevel = {
    type: 'ByteLevel',
    add_prefix_space: false,
    trim_offsets: true,
    use_regex: true,
  }
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      ...SPECIAL_TOKENS.map((content, id) => ({ content, id })),
      ...extra.map((content, i) => ({ content, id: extraIds[i] as number })),
    ].map(({ content, id }) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: null,
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: [],
    },
  }
  return { json, size: Object.keys(vocab).length }
}

export type SafeTensor = {
  dtype: 'F32' | 'BF16' | 'U32' | 'U8'
  shape: number[]
  data: Buffer
}
type Tensor = SafeTensor

function f32Tensor(shape: number[], fill: (i: number) => number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1)
  const data = Buffer.alloc(n * 4)
  for (let i = 0; i < n; i++) data.writeFloatLE(fill(i), i * 4)
  return { dtype: 'F32', shape, data }
}

/** MLX affine quantization of an [out, in] matrix: packed weight, scales, biases. */
function quantizeMatrix(w: Float32Array, out: number, inDim: number): Tensor[] {
  const groups = inDim / QUANT_GROUP
  const perWord = 32 / QUANT_BITS
  const levels = (1 << QUANT_BITS) - 1
  const packed = Buffer.alloc((out * inDim * QUANT_BITS) / 8)
  const scales = Buffer.alloc(out * groups * 4)
  const biases = Buffer.alloc(out * groups * 4)
  for (let r = 0; r < out; r++) {
    for (let g = 0; g < groups; g++) {
      const start = r * inDim + g * QUANT_GROUP
      let lo = Number.POSITIVE_INFINITY
      let hi = Number.NEGATIVE_INFINITY
      for (let j = 0; j < QUANT_GROUP; j++) {
        lo = Math.min(lo, w[start + j] as number)
        hi = Math.max(hi, w[start + j] as number)
      }
      const scale = (hi - lo) / levels || 1
      scales.writeFloatLE(scale, (r * groups + g) * 4)
      biases.writeFloatLE(lo, (r * groups + g) * 4)
      for (let j = 0; j < QUANT_GROUP; j += perWord) {
        let word = 0
        for (let k = 0; k < perWord; k++) {
          const q = Math.min(
            levels,
            Math.max(
              0,
              Math.round(((w[start + j + k] as number) - lo) / scale),
            ),
          )
          word |= q << (k * QUANT_BITS)
        }
        packed.writeUInt32LE(word >>> 0, ((start + j) / perWord) * 4)
      }
    }
  }
  return [
    { dtype: 'U32', shape: [out, (inDim * QUANT_BITS) / 32], data: packed },
    { dtype: 'F32', shape: [out, groups], data: scales },
    { dtype: 'F32', shape: [out, groups], data: biases },
  ]
}

/** Serialises tensors as safetensors: u64 LE header length, JSON header, data. */
export function safetensorsBytes(tensors: Map<string, Tensor>): Buffer {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } }
  let offset = 0
  for (const [name, t] of tensors) {
    header[name] = {
      dtype: t.dtype,
      shape: t.shape,
      data_offsets: [offset, offset + t.data.length],
    }
    offset += t.data.length
  }
  let json = JSON.stringify(header)
  json += ' '.repeat((8 - (json.length % 8)) % 8) // keep the data 8-byte aligned
  const len = Buffer.alloc(8)
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)))
  return Buffer.concat([
    len,
    Buffer.from(json, 'utf8'),
    ...[...tensors.values()].map((t) => t.data),
  ])
}

export function writeTinyCheckpoint(
  dir: string,
  arch: TinyArchitecture,
  options: TinyCheckpointOptions = {},
): TinyCheckpoint {
  mkdirSync(dir, { recursive: true })
  const random = prng(options.seed ?? 1234)
  const { json: tokenizer, size: vocab } = tokenizerJson(
    options.extraSpecialTokens,
  )
  const HIDDEN = options.hiddenSize ?? HIDDEN_DEFAULT
  const pre = options.weightPrefix ?? 'model.'
  const headDim = arch === 'qwen3' ? 32 : HIDDEN / HEADS // qwen3: head_dim != hidden/heads
  const tie = arch === 'mistral' || arch === 'qwen2'
  const quantize = options.quantize ?? false

  const tensors = new Map<string, Tensor>()
  const ones = (name: string, n: number) =>
    tensors.set(
      name,
      f32Tensor([n], () => 1),
    )
  const normal = () => {
    // Box-Muller over the seeded PRNG.
    const u = 1 - random()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random())
  }
  const matrix = (name: string, out: number, inDim: number) => {
    const std = 1 / Math.sqrt(inDim)
    const w = Float32Array.from({ length: out * inDim }, () => normal() * std)
    if (!quantize) {
      tensors.set(
        `${name}.weight`,
        f32Tensor([out, inDim], (i) => w[i] as number),
      )
      return
    }
    const [packed, scales, biases] = quantizeMatrix(w, out, inDim) as [
      Tensor,
      Tensor,
      Tensor,
    ]
    tensors.set(`${name}.weight`, packed)
    tensors.set(`${name}.scales`, scales)
    tensors.set(`${name}.biases`, biases)
  }
  const vector = (name: string, n: number) =>
    tensors.set(
      name,
      f32Tensor([n], () => normal() * 0.1),
    )

  matrix(`${pre}embed_tokens`, vocab, HIDDEN)
  for (let i = 0; i < LAYERS; i++) {
    const p = `${pre}layers.${i}`
    ones(`${p}.input_layernorm.weight`, HIDDEN)
    ones(`${p}.post_attention_layernorm.weight`, HIDDEN)
    matrix(`${p}.self_attn.q_proj`, HEADS * headDim, HIDDEN)
    matrix(`${p}.self_attn.k_proj`, KV_HEADS * headDim, HIDDEN)
    matrix(`${p}.self_attn.v_proj`, KV_HEADS * headDim, HIDDEN)
    matrix(`${p}.self_attn.o_proj`, HIDDEN, HEADS * headDim)
    if (arch === 'qwen2') {
      vector(`${p}.self_attn.q_proj.bias`, HEADS * headDim)
      vector(`${p}.self_attn.k_proj.bias`, KV_HEADS * headDim)
      vector(`${p}.self_attn.v_proj.bias`, KV_HEADS * headDim)
    }
    if (arch === 'qwen3') {
      ones(`${p}.self_attn.q_norm.weight`, headDim)
      ones(`${p}.self_attn.k_norm.weight`, headDim)
    }
    matrix(`${p}.mlp.gate_proj`, INTERMEDIATE, HIDDEN)
    matrix(`${p}.mlp.up_proj`, INTERMEDIATE, HIDDEN)
    matrix(`${p}.mlp.down_proj`, HIDDEN, INTERMEDIATE)
  }
  ones(`${pre}norm.weight`, HIDDEN)
  if (!tie) matrix(options.lmHeadName ?? 'lm_head', vocab, HIDDEN)

  const config: Record<string, unknown> = {
    architectures: [`${arch[0]?.toUpperCase()}${arch.slice(1)}ForCausalLM`],
    model_type: arch,
    hidden_size: HIDDEN,
    num_hidden_layers: LAYERS,
    num_attention_heads: HEADS,
    num_key_value_heads: KV_HEADS,
    intermediate_size: INTERMEDIATE,
    vocab_size: vocab,
    max_position_embeddings: 256,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    tie_word_embeddings: tie,
    bos_token_id: 0,
    eos_token_id: EOS_ID,
    torch_dtype: 'float32',
    ...(arch === 'qwen3' ? { head_dim: headDim } : {}),
    ...(options.ropeScaling ? { rope_scaling: options.ropeScaling } : {}),
    ...(quantize
      ? { quantization: { group_size: QUANT_GROUP, bits: QUANT_BITS } }
      : {}),
  }
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2))
  writeFileSync(
    join(dir, options.weightsFile ?? 'model.safetensors'),
    safetensorsBytes(tensors),
  )
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer))
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({
      add_bos_token: false,
      bos_token: null,
      eos_token: '<|im_end|>',
      chat_template: CHATML,
    }),
  )
  return { config, vocabSize: vocab, tensorNames: [...tensors.keys()] }
}
