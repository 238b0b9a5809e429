// A tiny random-weight llama that shares SmolLM2's vocabulary, tokenizer and
// chat template (copied from the GGUF metadata of a loaded SmolLM2): the
// "different model" a model-swap cheater runs while claiming SmolLM2's
// digest. Its token ids are valid SmolLM2 ids, so only verification can
// tell the two apart.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Model } from '../../src/engine/model.ts'
import { safetensorsBytes } from './tinyCheckpoint.ts'

const HIDDEN = 64
const LAYERS = 2
const HEADS = 4
const KV_HEADS = 2
const INTERMEDIATE = 128

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

export function writeTinySmolVocabCheckpoint(
  dir: string,
  smol: Model,
  seed = 99,
): void {
  mkdirSync(dir, { recursive: true })
  const meta = smol.native.metadata
  const tokens = meta['tokenizer.ggml.tokens'] as string[]
  const merges = (meta['tokenizer.ggml.merges'] as string[] | undefined) ?? []
  const types = meta['tokenizer.ggml.token_type'] as Float64Array | undefined
  const vocab: Record<string, number> = {}
  const added = []
  for (let id = 0; id < tokens.length; id++) {
    vocab[tokens[id] as string] = id
    if (types?.[id] === 3 || types?.[id] === 4)
      added.push({
        id,
        content: tokens[id],
        special: types[id] === 3,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
      })
  }
  const byteLevel = {
    type: 'ByteLevel',
    add_prefix_space: false,
    trim_offsets: true,
    use_regex: true,
  }
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [{ type: 'Digits', individual_digits: true }, byteLevel],
    },
    post_processor: null,
    decoder: { ...byteLevel, add_prefix_space: true },
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
  const eosId = smol.tokenizer.special.eosIds[0] ?? 2
  const random = prng(seed)
  const normal = () =>
    Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
  type Tensor = { dtype: 'F32'; shape: number[]; data: Buffer }
  const tensors = new Map<string, Tensor>()
  const f32 = (name: string, shape: number[], fill: () => number) => {
    const n = shape.reduce((a, b) => a * b, 1)
    const data = Buffer.alloc(n * 4)
    for (let i = 0; i < n; i++) data.writeFloatLE(fill(), i * 4)
    tensors.set(name, { dtype: 'F32', shape, data })
  }
  const matrix = (name: string, out: number, inDim: number) =>
    f32(`${name}.weight`, [out, inDim], () => normal() / Math.sqrt(inDim))
  matrix('model.embed_tokens', tokens.length, HIDDEN)
  for (let i = 0; i < LAYERS; i++) {
    const p = `model.layers.${i}`
    f32(`${p}.input_layernorm.weight`, [HIDDEN], () => 1)
    f32(`${p}.post_attention_layernorm.weight`, [HIDDEN], () => 1)
    matrix(`${p}.self_attn.q_proj`, HIDDEN, HIDDEN)
    matrix(`${p}.self_attn.k_proj`, KV_HEADS * (HIDDEN / HEADS), HIDDEN)
    matrix(`${p}.self_attn.v_proj`, KV_HEADS * (HIDDEN / HEADS), HIDDEN)
    matrix(`${p}.self_attn.o_proj`, HIDDEN, HIDDEN)
    matrix(`${p}.mlp.gate_proj`, INTERMEDIATE, HIDDEN)
    matrix(`${p}.mlp.up_proj`, INTERMEDIATE, HIDDEN)
    matrix(`${p}.mlp.down_proj`, HIDDEN, INTERMEDIATE)
  }
  f32('model.norm.weight', [HIDDEN], () => 1)
  const config = {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: HIDDEN,
    num_hidden_layers: LAYERS,
    num_attention_heads: HEADS,
    num_key_value_heads: KV_HEADS,
    intermediate_size: INTERMEDIATE,
    vocab_size: tokens.length,
    max_position_embeddings: 2048,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    tie_word_embeddings: true,
    bos_token_id: smol.tokenizer.special.bosId ?? 1,
    eos_token_id: eosId,
    torch_dtype: 'float32',
  }
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config))
  writeFileSync(
    join(dir, 'model.safetensors'),
    safetensorsBytes(tensors as never),
  )
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer))
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({
      add_bos_token: false,
      bos_token: null,
      eos_token: tokens[eosId],
      chat_template: meta['tokenizer.chat_template'],
    }),
  )
}
