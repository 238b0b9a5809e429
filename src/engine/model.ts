// A loaded model: tokenizer + chat template in TS, weights and the decode
// loop in the native engine. Dispose it (or `await using`) to free memory.
import {
  type AuditEvidence,
  type AuditParameters,
  auditCompletion,
} from './audit.ts'
import type { ChatTemplate } from './chatTemplate.ts'
import { deferGeneration } from './deferGeneration.ts'
import {
  ContextOverflowError,
  InvalidOptionError,
  ModelDisposedError,
} from './errors.ts'
import { type GenerationStream, startGeneration } from './generationStream.ts'
import type {
  NativeEvaluateRequest,
  NativeEvaluation,
  NativeModel,
} from './native.ts'
import { withSamplingDefaults } from './samplingDefaults.ts'
import { toEngineError } from './toEngineError.ts'
import type { TextTokenizer } from './tokenizer.ts'
import { toNativeRequest } from './toNativeRequest.ts'
import type { ChatMessage, GenerateOptions, ModelInfo } from './types.ts'

/** A VLM's image side: a prompt rendered with images -> ids + image rows. */
export interface ModelVision {
  prepare(params: {
    /** The chat rendered by the template, one image token per image part. */
    text: string
    /** Encoded images (png/jpeg/webp/gif bytes) in prompt order. */
    images: Uint8Array[]
    encode: (text: string) => number[]
  }): Promise<{
    tokens: number[]
    imageEmbeddings: NonNullable<GenerateOptions['imageEmbeddings']>
  }>
  dispose(): Promise<void>
}

const imagesOf = (input: string | ChatMessage[]): Uint8Array[] =>
  typeof input === 'string'
    ? []
    : input.flatMap((m) =>
        Array.isArray(m.content)
          ? m.content.flatMap((p) => (p.type === 'image' ? [p.data] : []))
          : [],
      )

export class Model {
  readonly info: ModelInfo
  readonly tokenizer: TextTokenizer
  readonly template: ChatTemplate
  /** Set for VLMs (info.type 'vlm'): chats may carry images. */
  readonly vision: ModelVision | undefined
  #native: NativeModel | undefined
  #active = 0

  constructor(params: {
    native: NativeModel
    info: ModelInfo
    tokenizer: TextTokenizer
    template: ChatTemplate
    vision?: ModelVision
  }) {
    this.#native = params.native
    this.info = params.info
    this.tokenizer = params.tokenizer
    this.template = params.template
    this.vision = params.vision
  }

  /** Number of generations currently running on this model. */
  get activeGenerations(): number {
    return this.#active
  }

  get disposed(): boolean {
    return this.#native === undefined
  }

  tokenize(text: string): number[] {
    return this.tokenizer.encode(text, { addSpecial: true })
  }

  detokenize(ids: number[]): string {
    return this.tokenizer.decode(ids)
  }

  applyChatTemplate(
    messages: ChatMessage[],
    opts: {
      addGenerationPrompt?: boolean
      tools?: unknown[]
      extra?: Record<string, unknown>
    } = {},
  ): string {
    return this.template.render(messages, {
      ...opts,
      keepParts: this.vision !== undefined,
      bosToken: this.tokenizer.special.bosToken,
      eosToken: this.tokenizer.special.eosToken,
    })
  }

  /** Prompt token ids for a raw string or a chat (through the template). */
  promptTokens(
    input: string | ChatMessage[],
    options: GenerateOptions = {},
  ): number[] {
    if (typeof input === 'string' && options.raw) return this.tokenize(input)
    const messages: ChatMessage[] =
      typeof input === 'string' ? [{ role: 'user', content: input }] : input
    const text = this.applyChatTemplate(messages, {
      extra: options.templateContext,
    })
    return this.tokenizer.encode(text)
  }

  /** Streams the completion as text chunks; `.result` gives the stats. */
  generate(
    input: string | ChatMessage[],
    requested: GenerateOptions = {},
  ): GenerationStream {
    if (!this.#native) throw new ModelDisposedError()
    const options = withSamplingDefaults(requested, this.info.samplingDefaults)
    const images = imagesOf(input)
    if (images.length === 0) {
      const prompt = this.promptTokens(input, options)
      return this.#start(
        options.resumeTokens?.length
          ? [...prompt, ...options.resumeTokens]
          : prompt,
        options,
      )
    }
    if (options.resumeTokens?.length)
      throw new InvalidOptionError(
        'resumeTokens',
        'cannot resume a generation with images',
      )
    const vision = this.vision
    if (!vision)
      throw new InvalidOptionError('messages', 'model does not support images')
    const text = this.applyChatTemplate(input as ChatMessage[], {
      extra: options.templateContext,
    })
    // Counted as active from now on, so the model is not unloaded mid-way.
    this.#active++
    const pending = vision
      .prepare({ text, images, encode: (t) => this.tokenizer.encode(t) })
      .then((p) =>
        this.#start(p.tokens, {
          ...options,
          imageEmbeddings: p.imageEmbeddings,
        }),
      )
      .finally(() => {
        this.#active--
      })
    return deferGeneration(pending)
  }

  #start(tokens: number[], options: GenerateOptions): GenerationStream {
    const native = this.#native
    if (!native) throw new ModelDisposedError()
    if (tokens.length >= this.info.contextLength)
      throw new ContextOverflowError(tokens.length, this.info.contextLength)
    const request = toNativeRequest(
      tokens,
      {
        ...options,
        stopTokenIds: [
          ...(options.stopTokenIds ?? []),
          ...this.#tokenIds(options.stopTokens),
        ],
      },
      this.tokenizer.special.eosIds,
    )
    this.#active++
    return startGeneration({
      model: native,
      tokenizer: this.tokenizer,
      start: (onEvent) => native.generate(request, onEvent),
      stop: options.stop,
      signal: options.signal,
      logprobs: options.logprobs,
      keepTokenIds: this.#tokenIds(options.keepSpecialTokens),
      onPromptProgress: options.onPromptProgress,
      onFinish: () => {
        this.#active--
      },
    })
  }

  // Ids of the given token strings this vocabulary has.
  #tokenIds(tokens: string[] = []): number[] {
    return tokens
      .map((t) => this.tokenizer.tokenId(t))
      .filter((id): id is number => id !== undefined)
  }

  /** Convenience: the whole completion as one string. */
  async complete(
    input: string | ChatMessage[],
    options: GenerateOptions = {},
  ): Promise<string> {
    let text = ''
    for await (const chunk of this.generate(input, options)) text += chunk.text
    return text
  }

  /**
   * Teacher-forced pass over `tokens` (one prefill): per position from
   * `from` on, the top next-token logits (and optionally all logits and the
   * final hidden state). Costs about as much as prefilling the sequence.
   */
  async evaluate(
    tokens: number[],
    options: Omit<NativeEvaluateRequest, 'tokens'> = {},
  ): Promise<NativeEvaluation> {
    try {
      return await this.native.evaluate({
        ...options,
        tokens: Int32Array.from(tokens),
      })
    } catch (e) {
      throw toEngineError(e, this.info.path)
    }
  }

  /** Evidence for auditing a claimed completion, at prefill cost (audit.ts). */
  audit(params: AuditParameters): Promise<AuditEvidence> {
    return auditCompletion(this, params)
  }

  /** The native handle, for engine-level features (audits, commitments). */
  get native(): NativeModel {
    if (!this.#native) throw new ModelDisposedError()
    return this.#native
  }

  /** File the prefix cache persists to (set from LoadModelOptions.promptCacheDir). */
  promptCacheFile: string | undefined

  /** Saves the idle prefix caches; returns how many sequences were written. */
  async savePromptCache(file: string): Promise<number> {
    try {
      return await this.native.savePromptCache(file)
    } catch (e) {
      throw toEngineError(e, file)
    }
  }

  /** Restores prefix caches saved by savePromptCache for this model. */
  async loadPromptCache(file: string): Promise<number> {
    try {
      return await this.native.loadPromptCache(file)
    } catch (e) {
      throw toEngineError(e, file)
    }
  }

  async dispose(): Promise<void> {
    const native = this.#native
    if (native && this.promptCacheFile) {
      // Best effort: a cache that cannot be written must not block unloading.
      await native.savePromptCache(this.promptCacheFile).catch(() => 0)
    }
    this.#native = undefined
    if (native) await Promise.all([native.unload(), this.vision?.dispose()])
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose()
  }
}
