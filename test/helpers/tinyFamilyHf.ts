// The tiny family models (tinyFamilies.ts) as Hugging Face checkpoints:
// config.json in the family's own vocabulary (model_type, rope_scaling,
// soft-capping, ...), model.safetensors in F32, BF16 or MLX-quantized
// (affine, packed uint32 + scales/biases), and a byte-level tokenizer with
// the GGUF files' 320 tokens. Returns the weights as the checkpoint stores
// them after rounding/quantization, so a test can write the same model as
// an F32 GGUF and compare the two loading paths.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type SafeTensor, safetensorsBytes } from './tinyCheckpoint.ts'
import {
  FAMILY,
  type HfTensor,
  TINY,
  type TinyFamily,
  tinyFamilyWeights,
} from './tinyFamilies.ts'
import { tinyVocabulary } from './tinyFamilyGguf.ts'

export type TinyFamilyHfOptions = {
  seed?: number
  dtype?: 'F32' | 'BF16'
  /** MLX affine quantization of every matrix (embeddings, projections, head). */
  quantize?: { bits: 4 | 8; group: 32 | 64 }
}

const MODEL_TYPE: Partial<Record<TinyFamily, string>> = {
  gemma3: 'gemma3_text',
}

function bf16(v: Float32Array): { data: Buffer; values: Float32Array } {
  const bits = new Uint32Array(
    v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength),
  )
  const data = Buffer.alloc(v.length * 2)
  const rounded = new Uint32Array(v.length)
  bits.forEach((x, i) => {
    const r = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16 // round to nearest even
    data.writeUInt16LE(r, i * 2)
    rounded[i] = r << 16
  })
  return { data, values: new Float32Array(rounded.buffer) }
}

/** MLX affine quantization: w ~ scale * q + bias per group of `group` inputs. */
function quantize(
  t: HfTensor,
  bits: number,
  group: number,
): { parts: SafeTensor[]; values: Float32Array } {
  const [out = 0, inDim = 0] = t.shape
  const groups = inDim / group
  const levels = (1 << bits) - 1
  const perWord = 32 / bits
  const packed = Buffer.alloc((out * inDim * bits) / 8)
  const scales = new Float32Array(out * groups)
  const biases = new Float32Array(out * groups)
  const values = new Float32Array(out * inDim)
  for (let g = 0; g < out * groups; g++) {
    const start = g * group
    let lo = Number.POSITIVE_INFINITY
    let hi = Number.NEGATIVE_INFINITY
    for (let j = 0; j < group; j++) {
      lo = Math.min(lo, t.values[start + j] as number)
      hi = Math.max(hi, t.values[start + j] as number)
    }
    const scale = Math.fround((hi - lo) / levels || 1)
    scales[g] = scale
    biases[g] = Math.fround(lo)
    for (let j = 0; j < group; j += perWord) {
      let word = 0
      for (let k = 0; k < perWord; k++) {
        const x = t.values[start + j + k] as number
        const q = Math.min(levels, Math.max(0, Math.round((x - lo) / scale)))
        word |= q << (k * bits)
        values[start + j + k] = Math.fround(
          Math.fround(scale * q) + (biases[g] as number),
        )
      }
      packed.writeUInt32LE(word >>> 0, ((start + j) / perWord) * 4)
    }
  }
  const f32 = (a: Float32Array): Buffer => Buffer.from(a.buffer)
  return {
    parts: [
      { dtype: 'U32', shape: [out, (inDim * bits) / 32], data: packed },
      { dtype: 'F32', shape: [out, groups], data: f32(scales) },
      { dtype: 'F32', shape: [out, groups], data: f32(biases) },
    ],
    values,
  }
}

function tokenizerJson(): object {
  const { tokens, merges } = tinyVocabulary()
  const vocab = Object.fromEntries(tokens.map((t, i) => [t, i]))
  const byteLevel = {
    type: 'ByteLevel',
    add_prefix_space: false,
    trim_offsets: true,
    use_regex: true,
  }
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: tokens
      .map((content, id) => ({ id, content }))
      .filter(({ id }) => id < 3 || id >= 260)
      .map(({ id, content }) => ({
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
      merges,
    },
  }
}

export function tinyFamilyConfig(family: TinyFamily): Record<string, unknown> {
  const spec = FAMILY[family]
  const modelType = MODEL_TYPE[family] ?? family
  return {
    architectures: ['ForCausalLM'],
    model_type: modelType,
    hidden_size: TINY.hidden,
    num_hidden_layers: spec.layers,
    num_attention_heads: TINY.heads,
    num_key_value_heads: TINY.kvHeads,
    head_dim: TINY.headDim,
    intermediate_size: TINY.ffn,
    vocab_size: TINY.vocab,
    max_position_embeddings: TINY.context,
    rms_norm_eps: 1e-6,
    rope_theta: 10_000,
    tie_word_embeddings: spec.tied,
    bos_token_id: 0,
    eos_token_id: 2,
    torch_dtype: 'float32',
    ...spec.hf,
  }
}

export function writeTinyFamilyCheckpoint(
  dir: string,
  family: TinyFamily,
  options: TinyFamilyHfOptions = {},
): { weights: Map<string, HfTensor>; config: Record<string, unknown> } {
  mkdirSync(dir, { recursive: true })
  const stored = new Map<string, SafeTensor>()
  const weights = new Map<string, HfTensor>()
  const q = options.quantize
  for (const [name, t] of tinyFamilyWeights(family, options.seed)) {
    const base = name.replace(/\.weight$/, '')
    if (q && t.shape.length === 2) {
      const { parts, values } = quantize(t, q.bits, q.group)
      const [w, s, b] = parts as [SafeTensor, SafeTensor, SafeTensor]
      stored.set(name, w)
      stored.set(`${base}.scales`, s)
      stored.set(`${base}.biases`, b)
      weights.set(name, { shape: t.shape, values })
    } else if (options.dtype === 'BF16') {
      const { data, values } = bf16(t.values)
      stored.set(name, { dtype: 'BF16', shape: t.shape, data })
      weights.set(name, { shape: t.shape, values })
    } else {
      stored.set(name, {
        dtype: 'F32',
        shape: t.shape,
        data: Buffer.from(t.values.buffer),
      })
      weights.set(name, t)
    }
  }
  const config = tinyFamilyConfig(family)
  if (q) config.quantization = { group_size: q.group, bits: q.bits }
  if (options.dtype === 'BF16') config.torch_dtype = 'bfloat16'
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2))
  writeFileSync(join(dir, 'model.safetensors'), safetensorsBytes(stored))
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson()))
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({
      add_bos_token: false,
      bos_token: null,
      eos_token: '<|im_end|>',
    }),
  )
  return { weights, config }
}
