// Random-weight llama-architecture GGUFs that llama.cpp and our engine both
// load: a byte-level BPE vocabulary (the 256 GPT-2 byte symbols, two
// controls, filler tokens), seeded random tensors in any ggml type, either
// one type for every matrix or llama.cpp's Q4_K_M mix. Used by the per-type
// llama.cpp agreement tests and by bench/quantTypes.ts.
import { writeFileSync } from 'node:fs'
import {
  GGML_TYPES,
  type GgmlTypeName,
  randomTensorBytes,
  seededRandom,
} from './ggufTensorData.ts'
import { type GgufTensorInfo, type GgufValue, ggufBytes } from './tinyGguf.ts'

export type LlamaShape = {
  hidden: number
  layers: number
  heads: number
  kvHeads: number
  ffn: number
  vocab: number
}

/** ~10M parameters; every dimension a multiple of 256 (K-quant blocks). */
export const TINY_LLAMA: LlamaShape = {
  hidden: 256,
  layers: 2,
  heads: 4,
  kvHeads: 2,
  ffn: 512,
  vocab: 384,
}

/** Llama 3.2 1B's shape. */
export const LLAMA_1B: LlamaShape = {
  hidden: 2048,
  layers: 16,
  heads: 32,
  kvHeads: 8,
  ffn: 8192,
  vocab: 128256,
}

/** GPT-2's byte -> printable character table (bytes_to_unicode). */
function byteSymbols(): string[] {
  const keep = (b: number) =>
    (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255)
  const out: string[] = []
  let extra = 0
  for (let b = 0; b < 256; b++)
    out.push(String.fromCodePoint(keep(b) ? b : 256 + extra++))
  return out
}

function vocabulary(size: number): Record<string, GgufValue> {
  const tokens = byteSymbols()
  const types = tokens.map(() => 1)
  tokens.push('<|bos|>', '<|eos|>', '\u0120t')
  types.push(3, 3, 1)
  while (tokens.length < size) {
    tokens.push(`<|filler_${tokens.length}|>`)
    types.push(4)
  }
  return {
    'tokenizer.ggml.model': { type: 'string', value: 'gpt2' },
    'tokenizer.ggml.pre': { type: 'string', value: 'default' },
    'tokenizer.ggml.tokens': { type: 'strings', value: tokens },
    'tokenizer.ggml.token_type': { type: 'i32s', value: types },
    'tokenizer.ggml.merges': { type: 'strings', value: ['\u0120 t'] },
    'tokenizer.ggml.bos_token_id': { type: 'u32', value: 256 },
    'tokenizer.ggml.eos_token_id': { type: 'u32', value: 257 },
    'tokenizer.ggml.add_bos_token': { type: 'bool', value: false },
  }
}

/** llama.cpp's choice of the Q4_K_M mix (llama_tensor_get_type, simplified). */
export function q4kmType(name: string, layer: number, layers: number) {
  const moreBits =
    layer < layers / 8 ||
    layer >= (7 * layers) / 8 ||
    (layer - Math.floor(layers / 8)) % 3 === 2
  if (name === 'token_embd' || name === 'output') return 'Q6_K'
  if ((name === 'attn_v' || name === 'ffn_down') && moreBits) return 'Q6_K'
  return 'Q4_K'
}

export type RandomLlamaOptions = {
  shape?: LlamaShape
  /** One type for every matrix, or 'Q4_K_M' for llama.cpp's mix. */
  type: GgmlTypeName | 'Q4_K_M'
  seed?: number
  tiedEmbeddings?: boolean
}

export function randomLlamaGguf(o: RandomLlamaOptions): Buffer {
  const s = o.shape ?? TINY_LLAMA
  const rand = seededRandom(o.seed ?? 7)
  const headDim = s.hidden / s.heads
  const metadata: Record<string, GgufValue> = {
    'general.architecture': { type: 'string', value: 'llama' },
    'general.name': { type: 'string', value: `random-llama-${o.type}` },
    'llama.context_length': { type: 'u32', value: 2048 },
    'llama.embedding_length': { type: 'u32', value: s.hidden },
    'llama.block_count': { type: 'u32', value: s.layers },
    'llama.feed_forward_length': { type: 'u32', value: s.ffn },
    'llama.attention.head_count': { type: 'u32', value: s.heads },
    'llama.attention.head_count_kv': { type: 'u32', value: s.kvHeads },
    'llama.rope.dimension_count': { type: 'u32', value: headDim },
    'llama.attention.layer_norm_rms_epsilon': { type: 'f32', value: 1e-5 },
    'llama.rope.freq_base': { type: 'f32', value: 10000 },
    'llama.vocab_size': { type: 'u32', value: s.vocab },
    ...vocabulary(s.vocab),
  }
  const tensors: GgufTensorInfo[] = []
  const chunks: Buffer[] = []
  let offset = 0
  const add = (
    name: string,
    dims: number[],
    type: GgmlTypeName,
    std = 0.02,
  ) => {
    const n = dims.reduce((a, b) => a * b, 1)
    const data =
      type === 'F32' && std === 0
        ? Buffer.from(
            Float32Array.from({ length: n }, () => 1 + (rand() - 0.5) * 0.2)
              .buffer,
          )
        : randomTensorBytes(type, n, rand, std)
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
  const typeOf = (name: string, layer: number): GgmlTypeName =>
    o.type === 'Q4_K_M' ? q4kmType(name, layer, s.layers) : o.type
  const kv = s.kvHeads * headDim
  add('token_embd.weight', [s.hidden, s.vocab], typeOf('token_embd', 0), 0.5)
  for (let i = 0; i < s.layers; i++) {
    const b = `blk.${i}.`
    add(`${b}attn_norm.weight`, [s.hidden], 'F32', 0)
    add(`${b}attn_q.weight`, [s.hidden, s.hidden], typeOf('attn_q', i))
    add(`${b}attn_k.weight`, [s.hidden, kv], typeOf('attn_k', i))
    add(`${b}attn_v.weight`, [s.hidden, kv], typeOf('attn_v', i))
    add(
      `${b}attn_output.weight`,
      [s.hidden, s.hidden],
      typeOf('attn_output', i),
    )
    add(`${b}ffn_norm.weight`, [s.hidden], 'F32', 0)
    add(`${b}ffn_gate.weight`, [s.hidden, s.ffn], typeOf('ffn_gate', i))
    add(`${b}ffn_up.weight`, [s.hidden, s.ffn], typeOf('ffn_up', i))
    add(`${b}ffn_down.weight`, [s.ffn, s.hidden], typeOf('ffn_down', i))
  }
  add('output_norm.weight', [s.hidden], 'F32', 0)
  if (!o.tiedEmbeddings)
    add('output.weight', [s.hidden, s.vocab], typeOf('output', 0), 0.05)
  return ggufBytes(metadata, tensors, Buffer.concat(chunks))
}

export function writeRandomLlamaGguf(path: string, o: RandomLlamaOptions) {
  writeFileSync(path, randomLlamaGguf(o))
}
