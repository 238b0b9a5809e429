// A loaded sentence-embedding model: WordPiece tokenizer in TS, the BERT
// encoder + pooling in the native engine. Inputs are sorted by length and
// run in padded batches so short sentences do not pay for long ones.
import type { Tokenizer } from '@huggingface/tokenizers'
import {
  InvalidOptionError,
  ModelDisposedError,
  UnsupportedModelError,
} from '../errors.ts'
import { toEngineError } from '../toEngineError.ts'
import type { ModelInfo } from '../types.ts'
import type { NativeEncoder, NativeTensor } from './nativeEncoder.ts'
import type { EncoderConfig } from './readEncoderConfig.ts'
import { truncateVector } from './truncateVector.ts'

export type EmbedOptions = {
  /** Keep the first n dimensions and re-normalize (Matryoshka style). */
  dimensions?: number
  /** Cut inputs at the model's max length (default) or throw. */
  truncate?: boolean
  /** Inputs per native call (default 32). */
  batchSize?: number
}

export type EmbedResult = {
  vectors: Float32Array[]
  usage: { promptTokens: number; totalTokens: number }
  /** Indices of inputs that were cut at the model's max sequence length. */
  truncated: number[]
}

export class EmbeddingModel {
  readonly info: ModelInfo
  readonly config: EncoderConfig
  #native: NativeEncoder | undefined
  #tokenizer: Tokenizer
  #sep: number | undefined

  constructor(p: {
    native: NativeEncoder
    info: ModelInfo
    config: EncoderConfig
    tokenizer: Tokenizer
  }) {
    this.#native = p.native
    this.info = p.info
    this.config = p.config
    this.#tokenizer = p.tokenizer
    this.#sep = p.tokenizer.token_to_id('[SEP]') ?? undefined
  }

  get disposed(): boolean {
    return this.#native === undefined
  }

  get dimensions(): number {
    return this.config.native.hiddenSize
  }

  /** Token ids with [CLS]/[SEP], cut to maxSeqLength like sentence-transformers. */
  encode(text: string): { ids: number[]; truncated: boolean } {
    const ids = this.#tokenizer.encode(text, { add_special_tokens: true }).ids
    const max = this.config.maxSeqLength
    if (ids.length <= max) return { ids, truncated: false }
    const cut = ids.slice(0, max - 1)
    cut.push(this.#sep ?? (ids[ids.length - 1] as number))
    return { ids: cut, truncated: true }
  }

  tokenize(text: string): number[] {
    return this.encode(text).ids
  }

  async embed(
    texts: string[],
    options: EmbedOptions = {},
  ): Promise<EmbedResult> {
    const native = this.#native
    if (!native) throw new ModelDisposedError()
    const dims = options.dimensions
    if (
      dims !== undefined &&
      (!Number.isInteger(dims) || dims < 1 || dims > this.dimensions)
    )
      throw new InvalidOptionError(
        'dimensions',
        `must be an integer from 1 to ${this.dimensions}`,
      )
    const encoded = texts.map((t) => this.encode(t))
    const truncated = encoded.flatMap((e, i) => (e.truncated ? [i] : []))
    if (options.truncate === false && truncated.length > 0)
      throw new InvalidOptionError(
        'input',
        `input ${truncated[0]} is longer than the model's ${this.config.maxSeqLength} tokens`,
      )
    const order = encoded
      .map((_, i) => i)
      .sort((a, b) => encoded[a]!.ids.length - encoded[b]!.ids.length)
    const batchSize = Math.max(1, options.batchSize ?? 32)
    const vectors: Float32Array[] = new Array(texts.length)
    const hidden = this.dimensions
    for (const rows of lengthBatches(
      order,
      (i) => encoded[i]!.ids.length,
      batchSize,
    )) {
      const seqLen = Math.max(...rows.map((i) => encoded[i]!.ids.length))
      const inputIds = new Int32Array(rows.length * seqLen)
      const attentionMask = new Int32Array(rows.length * seqLen)
      rows.forEach((i, r) => {
        const ids = encoded[i]!.ids
        inputIds.set(ids, r * seqLen)
        attentionMask.fill(1, r * seqLen, r * seqLen + ids.length)
      })
      let out: NativeTensor
      try {
        out = await native.embed({
          inputIds,
          attentionMask,
          batch: rows.length,
          seqLen,
          pooling: this.config.pooling,
          normalize: this.config.normalize,
        })
      } catch (e) {
        throw toEngineError(e, this.info.path)
      }
      rows.forEach((i, r) => {
        const v = out.data.slice(r * hidden, (r + 1) * hidden)
        vectors[i] = dims ? truncateVector(v, dims) : v
      })
    }
    const tokens = encoded.reduce((n, e) => n + e.ids.length, 0)
    return {
      vectors,
      usage: { promptTokens: tokens, totalTokens: tokens },
      truncated,
    }
  }

  /** Embedding models do not generate text; the server checks the type first. */
  generate(): never {
    throw new UnsupportedModelError(
      `"${this.info.path}" is an embedding model; it cannot generate text.`,
    )
  }

  applyChatTemplate(): never {
    return this.generate()
  }

  detokenize(ids: number[]): string {
    return this.#tokenizer.decode(ids, { skip_special_tokens: true })
  }

  async dispose(): Promise<void> {
    const native = this.#native
    this.#native = undefined
    if (native) await native.unload()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose()
  }
}

/** Consecutive runs of the length-sorted order; a run ends when full or when
 * the next input is over twice the run's shortest (padding would dominate). */
function lengthBatches(
  order: number[],
  length: (i: number) => number,
  size: number,
): number[][] {
  const batches: number[][] = []
  let run: number[] = []
  for (const i of order) {
    if (
      run.length === size ||
      (run.length && length(i) > 2 * length(run[0]!) + 8)
    ) {
      batches.push(run)
      run = []
    }
    run.push(i)
  }
  if (run.length) batches.push(run)
  return batches
}
