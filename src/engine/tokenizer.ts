// Text <-> token ids through @huggingface/tokenizers, built either from a
// tokenizer.json or from the vocabulary embedded in GGUF metadata.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Tokenizer } from '@huggingface/tokenizers'
import { ModelLoadError } from './errors.ts'
import { tokenizerFromGguf } from './tokenizer/fromGguf.ts'
import type { GgufMetadata } from './tokenizer/ggufVocab.ts'

export type SpecialTokens = {
  bosToken?: string
  eosToken?: string
  bosId?: number
  /** Every token that ends generation, EOS first. */
  eosIds: number[]
  /** encode({ addSpecial: true }) prepends BOS / appends EOS. */
  addBos: boolean
  addEos?: boolean
}

export type TextTokenizerOptions = {
  /** Rewrites raw text before encoding (llama.cpp's per-model quirks). */
  prepare?: (text: string) => string
  /** Ids decode drops with skipSpecial (else the library's own list). */
  specialIds?: Set<number>
}

export class TextTokenizer {
  readonly special: SpecialTokens
  #tokenizer: Tokenizer
  #options: TextTokenizerOptions

  constructor(
    tokenizer: Tokenizer,
    special: SpecialTokens,
    options: TextTokenizerOptions = {},
  ) {
    this.#tokenizer = tokenizer
    this.special = special
    this.#options = options
  }

  /**
   * From GGUF `tokenizer.ggml.*` metadata: byte-level BPE (`gpt2`, with the
   * pre-tokenizer `tokenizer.ggml.pre` names) or SentencePiece (`llama`),
   * matching llama.cpp's tokenization.
   */
  static fromGguf(meta: GgufMetadata, path: string): TextTokenizer {
    const { tokenizer, special, ...options } = tokenizerFromGguf(meta, path)
    return new TextTokenizer(tokenizer, special, options)
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

  /** Token ids; special-token text (e.g. `<|im_end|>`) becomes its token. */
  encode(text: string, { addSpecial = false } = {}): number[] {
    const raw = this.#options.prepare?.(text) ?? text
    const ids = this.#tokenizer.encode(raw, { add_special_tokens: false }).ids
    if (!addSpecial) return ids
    const { addBos, addEos, bosId, eosIds } = this.special
    const eosId = eosIds[0]
    if (addBos && bosId !== undefined) ids.unshift(bosId)
    if (addEos && eosId !== undefined) ids.push(eosId)
    return ids
  }

  decode(ids: number[], { skipSpecial = true } = {}): string {
    const special = this.#options.specialIds
    // A set lookup instead of the library's scan of every special token
    // per id (6k of them in Gemma's vocabulary).
    const kept =
      skipSpecial && special ? ids.filter((id) => !special.has(id)) : ids
    if (kept.length === 0) return ''
    return this.#tokenizer.decode(kept, {
      skip_special_tokens: skipSpecial && !special,
    })
  }

  /** Id of a token string (e.g. a special token like `<image>`), if known. */
  tokenId(token: string): number | undefined {
    return this.#tokenizer.token_to_id(token) ?? undefined
  }

  vocabSize(): number {
    return this.#tokenizer.get_vocab(true).size
  }
}
