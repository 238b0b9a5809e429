// Writes tiny random-weight MoE GGUFs (Qwen3-MoE, Mixtral, gpt-oss) with
// llama.cpp's tensor names and metadata keys, deterministically from a seed:
// the engine's tests and the llama.cpp fixture script
// (scripts/fixtures/moe_llamacpp.py) read the same bytes. Widths are
// multiples of 256 so every K-quant fits; the vocabulary is byte-level BPE
// (3 special tokens + 256 bytes) so both tokenizers load.
import {
  GGML_TYPES,
  type GgmlTypeName,
  gaussian,
  randomTensorBytes,
  seededRandom,
} from './ggufTensorData.ts'
import { type GgufTensorInfo, type GgufValue, writeGguf } from './tinyGguf.ts'

export type MoeFamily = 'qwen3moe' | 'mixtral' | 'gpt-oss'

/**
 * Tensor type mixes. F16, Q8_0 and Q4_K: every matrix in that type.
 * `Q4_K_M` follows llama.cpp's recipe roughly: Q4_K matrices with Q6_K (which
 * the engine converts to 8 bits at load) for attn_v, ffn_down and the output.
 * `MXFP4` is gpt-oss's: MXFP4 experts, Q8_0 elsewhere. The router, norms,
 * biases and sinks stay F32 (llama.cpp never quantizes them).
 */
export type MoeQuant = 'F16' | 'Q8_0' | 'Q4_K' | 'Q4_K_M' | 'MXFP4'

export type TinyMoeOptions = {
  seed?: number
  expertCount?: number
  /** Experts per token (default 2; gpt-oss 4). */
  expertUsed?: number
  layers?: number
  /** gpt-oss sliding window (default 8, so test prompts exceed it). */
  slidingWindow?: number
  /** One tensor per expert (blk.N.ffn_gate.E.weight), as early Mixtral files. */
  splitExperts?: boolean
}

export const TINY_MOE = {
  hidden: 256,
  heads: 4,
  kvHeads: 2,
  headDim: 64,
  expertFf: 256,
  context: 512,
} as const

const SPECIAL = ['<|endoftext|>', '<|im_start|>', '<|im_end|>']

/** GPT-2's byte -> printable character map. */
function byteAlphabet(): string[] {
  const printable = (b: number) =>
    (b >= 0x21 && b <= 0x7e) ||
    (b >= 0xa1 && b <= 0xac) ||
    (b >= 0xae && b <= 0xff)
  let extra = 0
  return Array.from({ length: 256 }, (_, b) =>
    String.fromCharCode(printable(b) ? b : 256 + extra++),
  )
}

export const TINY_MOE_VOCAB = SPECIAL.length + 256

export function tokenizerMetadata(pre: string): Record<string, GgufValue> {
  const tokens = [...SPECIAL, ...byteAlphabet()]
  return {
    'tokenizer.ggml.model': { type: 'string', value: 'gpt2' },
    'tokenizer.ggml.pre': { type: 'string', value: pre },
    'tokenizer.ggml.tokens': { type: 'strings', value: tokens },
    'tokenizer.ggml.token_type': {
      type: 'i32s',
      value: tokens.map((_, i) => (i < SPECIAL.length ? 3 : 1)),
    },
    'tokenizer.ggml.merges': { type: 'strings', value: ['Ġ t', 'h e'] },
    'tokenizer.ggml.bos_token_id': { type: 'u32', value: 0 },
    'tokenizer.ggml.eos_token_id': { type: 'u32', value: 2 },
  }
}

type Role = 'embd' | 'attn' | 'attn_v' | 'exps' | 'down_exps' | 'output'

function typeFor(quant: MoeQuant, role: Role): GgmlTypeName {
  if (quant === 'F16' || quant === 'Q8_0' || quant === 'Q4_K') return quant
  if (quant === 'MXFP4')
    return role === 'exps' || role === 'down_exps' ? 'MXFP4' : 'Q8_0'
  return role === 'attn_v' || role === 'down_exps' || role === 'output'
    ? 'Q6_K'
    : 'Q4_K'
}

export function writeTinyMoeGguf(
  path: string,
  family: MoeFamily,
  quant: MoeQuant,
  options: TinyMoeOptions = {},
): void {
  const { hidden: D, heads, kvHeads, headDim, expertFf: F } = TINY_MOE
  const E = options.expertCount ?? 8
  const used = options.expertUsed ?? (family === 'gpt-oss' ? 4 : 2)
  const layers = options.layers ?? 2
  const rand = seededRandom(options.seed ?? 7)
  const gauss = gaussian(rand)
  const tensors: GgufTensorInfo[] = []
  const chunks: Buffer[] = []
  let offset = 0
  // dims are ggml's (innermost first): a [rows, cols] matrix is [cols, rows].
  // `split`: store a 3-D [.., .., E] tensor as E 2-D tensors named
  // split(e) instead (the same bytes, expert by expert).
  const add = (
    name: string,
    dims: number[],
    type: GgmlTypeName,
    std: number,
    split?: (e: number) => string,
  ) => {
    const n = dims.reduce((a, b) => a * b, 1)
    const data =
      type === 'F32'
        ? Buffer.from(
            Float32Array.from({ length: n }, () => gauss() * std).buffer,
          )
        : randomTensorBytes(type, n, rand, std)
    const parts = split ? (dims[2] as number) : 1
    const size = data.length / parts
    for (let e = 0; e < parts; e++) {
      tensors.push({
        name: split ? split(e) : name,
        dims: (split ? dims.slice(0, 2) : dims).map(BigInt),
        type: GGML_TYPES[type].id,
        offset: BigInt(offset),
      })
      const padded = Buffer.alloc(Math.ceil(size / 32) * 32)
      data.copy(padded, 0, e * size, (e + 1) * size)
      chunks.push(padded)
      offset += padded.length
    }
  }
  const ones = (name: string, n: number) => {
    tensors.push({ name, dims: [BigInt(n)], type: 0, offset: BigInt(offset) })
    const data = Buffer.from(
      Float32Array.from({ length: n }, () => 1 + 0.1 * gauss()).buffer,
    )
    const padded = Buffer.alloc(Math.ceil(data.length / 32) * 32)
    data.copy(padded)
    chunks.push(padded)
    offset += padded.length
  }
  const t = (role: Role) => typeFor(quant, role)
  const oss = family === 'gpt-oss'
  const V = TINY_MOE_VOCAB

  add('token_embd.weight', [D, V], t('embd'), 1)
  for (let i = 0; i < layers; i++) {
    const b = `blk.${i}.`
    ones(`${b}attn_norm.weight`, D)
    add(`${b}attn_q.weight`, [D, heads * headDim], t('attn'), 1 / 16)
    add(`${b}attn_k.weight`, [D, kvHeads * headDim], t('attn'), 1 / 16)
    add(`${b}attn_v.weight`, [D, kvHeads * headDim], t('attn_v'), 1 / 16)
    add(`${b}attn_output.weight`, [heads * headDim, D], t('attn'), 1 / 16)
    if (oss) {
      for (const [n, w] of [
        ['q', heads],
        ['k', kvHeads],
        ['v', kvHeads],
      ] as const)
        add(`${b}attn_${n}.bias`, [w * headDim], 'F32', 0.1)
      add(`${b}attn_output.bias`, [D], 'F32', 0.1)
      add(`${b}attn_sinks.weight`, [heads], 'F32', 1)
      ones(`${b}post_attention_norm.weight`, D)
    } else {
      ones(`${b}ffn_norm.weight`, D)
    }
    if (family === 'qwen3moe') {
      ones(`${b}attn_q_norm.weight`, headDim)
      ones(`${b}attn_k_norm.weight`, headDim)
    }
    // llama.cpp keeps the router in F32 whatever the file type.
    add(`${b}ffn_gate_inp.weight`, [D, E], 'F32', 1 / 4)
    // Early Mixtral GGUFs stored one tensor per expert (blk.N.ffn_gate.E).
    const legacy = (part: string) =>
      options.splitExperts
        ? (e: number) => `${b}ffn_${part}.${e}.weight`
        : undefined
    add(
      `${b}ffn_gate_exps.weight`,
      [D, F, E],
      t('exps'),
      1 / 16,
      legacy('gate'),
    )
    add(`${b}ffn_up_exps.weight`, [D, F, E], t('exps'), 1 / 16, legacy('up'))
    add(
      `${b}ffn_down_exps.weight`,
      [F, D, E],
      t('down_exps'),
      1 / 16,
      legacy('down'),
    )
    if (oss) {
      add(`${b}ffn_gate_inp.bias`, [E], 'F32', 0.5)
      add(`${b}ffn_gate_exps.bias`, [F, E], 'F32', 0.1)
      add(`${b}ffn_up_exps.bias`, [F, E], 'F32', 0.1)
      add(`${b}ffn_down_exps.bias`, [D, E], 'F32', 0.1)
    }
  }
  ones('output_norm.weight', D)
  add('output.weight', [D, V], t('output'), 1 / 8)

  const arch = family === 'mixtral' ? 'llama' : family
  const k = (key: string) => `${arch}.${key}`
  const u32 = (value: number): GgufValue => ({ type: 'u32', value })
  const meta: Record<string, GgufValue> = {
    'general.architecture': { type: 'string', value: arch },
    'general.name': { type: 'string', value: `tiny-${family}-${quant}` },
    [k('context_length')]: u32(TINY_MOE.context),
    [k('embedding_length')]: u32(D),
    [k('block_count')]: u32(layers),
    [k('feed_forward_length')]: u32(F),
    [k('attention.head_count')]: u32(heads),
    [k('attention.head_count_kv')]: u32(kvHeads),
    [k('attention.key_length')]: u32(headDim),
    [k('attention.value_length')]: u32(headDim),
    [k('attention.layer_norm_rms_epsilon')]: { type: 'f32', value: 1e-5 },
    [k('rope.freq_base')]: { type: 'f32', value: oss ? 150000 : 10000 },
    [k('expert_count')]: u32(E),
    [k('expert_used_count')]: u32(used),
    ...(family !== 'mixtral'
      ? { [k('expert_feed_forward_length')]: u32(F) }
      : {}),
    ...(oss
      ? {
          [k('attention.sliding_window')]: u32(options.slidingWindow ?? 8),
          [k('rope.scaling.type')]: { type: 'string', value: 'yarn' },
          [k('rope.scaling.factor')]: { type: 'f32', value: 4 },
          [k('rope.scaling.original_context_length')]: u32(
            TINY_MOE.context / 4,
          ),
        }
      : {}),
    ...tokenizerMetadata(
      family === 'qwen3moe' ? 'qwen2' : oss ? 'gpt-4o' : 'llama-bpe',
    ),
  }
  writeGguf(path, meta, tensors, Buffer.concat(chunks))
}

if (import.meta.main) {
  const [out, family, quant] = process.argv.slice(2)
  if (!out || !family || !quant)
    throw new Error('usage: tinyMoeGguf.ts <out.gguf> <family> <quant>')
  writeTinyMoeGguf(out, family as MoeFamily, quant as MoeQuant)
}
