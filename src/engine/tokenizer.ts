// Text <-> token ids through @huggingface/tokenizers, built either from a
// tokenizer.json or from the vocabulary embedded in GGUF metadata.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Tokenizer } from '@huggingface/tokenizers'
import { ModelLoadError, UnsupportedModelError } from './errors.ts'
import type { NativeMetadataValue } from './native.ts'

export type SpecialTokens = {
  bosToken?: string
  eosToken?: string
  bosId?: number
  eosIds: number[]
  addBos: boolean
}

// GGUF token types (llama.cpp): 1 normal, 2 unknown, 3 control, 4 user-defined.
const CONTROL = 3
const USER_DEFINED = 4

export class TextTokenizer {
  readonly special: SpecialTokens
  #tokenizer: Tokenizer

  constructor(tokenizer: Tokenizer, special: SpecialTokens) {
    this.#tokenizer = tokenizer
    this.special = special
  }

  /** From GGUF `tokenizer.ggml.*` metadata (GPT-2 style byte-level BPE). */
  static fromGguf(
    meta: Record<string, NativeMetadataValue>,
    path: string,
  ): TextTokenizer {
    const model = meta['tokenizer.ggml.model']
    const tokens = meta['tokenizer.ggml.tokens'] as string[] | undefined
    if (!tokens)
      throw new ModelLoadError(path, { details: 'GGUF has no vocabulary' })
    if (model !== 'gpt2')
      throw new UnsupportedModelError(
        `GGUF tokenizer "${String(model)}" is not supported (gpt2 byte-level BPE is).`,
      )
    const merges = (meta['tokenizer.ggml.merges'] as string[] | undefined) ?? []
    const types = meta['tokenizer.ggml.token_type'] as Float64Array | undefined
    const vocab: Record<string, number> = {}
    const added = []
    for (let id = 0; id < tokens.length; id++) {
      const content = tokens[id] as string
      vocab[content] = id
      const type = types?.[id]
      if (type === CONTROL || type === USER_DEFINED)
        added.push({
          id,
          content,
          special: type === CONTROL,
          single_word: false,
          lstrip: false,
          rstrip: false,
          normalized: false,
        })
    }
    // SmolLM-style vocabularies split digits one by one before byte-level BPE.
    const byteLevel = {
      type: 'ByteLevel',
      add_prefix_space: false,
      trim_offsets: true,
      use_regex: true,
    }
    const pre = meta['tokenizer.ggml.pre']
    const preTokenizer =
      pre === 'smollm'
        ? {
            type: 'Sequence',
            pretokenizers: [
              { type: 'Digits', individual_digits: true },
              byteLevel,
            ],
          }
        : byteLevel
    const json = {
      version: '1.0',
      added_tokens: added,
      normalizer: null,
      pre_tokenizer: preTokenizer,
      post_processor: null,
      decoder: {
        type: 'ByteLevel',
        add_prefix_space: true,
        trim_offsets: true,
        use_regex: true,
      },
      model: {
        type: 'BPE',
        vocab,
        merges,
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
      },
    }
    const num = (k: string) =>
      typeof meta[k] === 'number' ? (meta[k] as number) : undefined
    const bosId = num('tokenizer.ggml.bos_token_id')
    const eosIds = [
      num('tokenizer.ggml.eos_token_id'),
      num('tokenizer.ggml.eot_token_id'),
    ].filter((x): x is number => x !== undefined)
    const special: SpecialTokens = {
      bosId,
      eosIds,
      bosToken: bosId !== undefined ? tokens[bosId] : undefined,
      eosToken: eosIds[0] !== undefined ? tokens[eosIds[0]] : undefined,
      addBos: num('tokenizer.ggml.add_bos_token') === 1,
    }
    return new TextTokenizer(new Tokenizer(json, {}), special)
  }

  /** From a Hugging Face model folder (tokenizer.json + tokenizer_config.json). */
  static fromDirectory(dir: string, eosIds: number[] = []): TextTokenizer {
    let json: unknown
    let config: Record<string, unknown> = {}
    try {
      json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'))
    } catch (cause) {
      throw new ModelLoadError(dir, {
        details: 'missing or invalid tokenizer.json',
        cause,
      })
    }
    try {
      config = JSON.parse(
        readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'),
      )
    } catch {}
    const tokenizer = new Tokenizer(json as object, config)
    const tokenString = (v: unknown) =>
      typeof v === 'string'
        ? v
        : (v as { content?: string } | undefined)?.content
    const bosToken = tokenString(config.bos_token)
    const eosToken = tokenString(config.eos_token)
    const eos =
      eosToken !== undefined ? tokenizer.token_to_id(eosToken) : undefined
    const ids = new Set(eosIds)
    if (eos !== undefined) ids.add(eos)
    return new TextTokenizer(tokenizer, {
      bosToken,
      eosToken,
      bosId:
        bosToken !== undefined ? tokenizer.token_to_id(bosToken) : undefined,
      eosIds: [...ids],
      addBos: config.add_bos_token === true,
    })
  }

  encode(text: string, { addSpecial = false } = {}): number[] {
    const ids = this.#tokenizer.encode(text, { add_special_tokens: false }).ids
    if (addSpecial && this.special.addBos && this.special.bosId !== undefined)
      return [this.special.bosId, ...ids]
    return ids
  }

  decode(ids: number[], { skipSpecial = true } = {}): string {
    if (ids.length === 0) return ''
    return this.#tokenizer.decode(ids, { skip_special_tokens: skipSpecial })
  }

  /** Id of a token string (e.g. a special token like `<image>`), if known. */
  tokenId(token: string): number | undefined {
    return this.#tokenizer.token_to_id(token) ?? undefined
  }

  vocabSize(): number {
    return this.#tokenizer.get_vocab(true).size
  }
}
