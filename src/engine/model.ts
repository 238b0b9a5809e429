// A loaded model: tokenizer + chat template in TS, weights and the decode
// loop in the native engine. Dispose it (or `await using`) to free memory.
import { type AuditParameters, type AuditReport, auditCompletion } from './audit.ts'
import { ChatTemplate } from './chatTemplate.ts'
import { ContextOverflowError, ModelDisposedError } from './errors.ts'
import { type GenerationStream, startGeneration } from './generationStream.ts'
import type { NativeEvaluateRequest, NativeEvaluation, NativeModel } from './native.ts'
import { toEngineError } from './toEngineError.ts'
import type { TextTokenizer } from './tokenizer.ts'
import { toNativeRequest } from './toNativeRequest.ts'
import type { ChatMessage, GenerateOptions, ModelInfo } from './types.ts'

export class Model {
  readonly info: ModelInfo
  readonly tokenizer: TextTokenizer
  readonly template: ChatTemplate
  #native: NativeModel | undefined
  #active = 0

  constructor(params: {
    native: NativeModel
    info: ModelInfo
    tokenizer: TextTokenizer
    template: ChatTemplate
  }) {
    this.#native = params.native
    this.info = params.info
    this.tokenizer = params.tokenizer
    this.template = params.template
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
    opts: { addGenerationPrompt?: boolean; tools?: unknown[]; extra?: Record<string, unknown> } = {},
  ): string {
    return this.template.render(messages, {
      ...opts,
      bosToken: this.tokenizer.special.bosToken,
      eosToken: this.tokenizer.special.eosToken,
    })
  }

  /** Prompt token ids for a raw string or a chat (through the template). */
  promptTokens(input: string | ChatMessage[], options: GenerateOptions = {}): number[] {
    if (typeof input === 'string' && options.raw) return this.tokenize(input)
    const messages: ChatMessage[] =
      typeof input === 'string' ? [{ role: 'user', content: input }] : input
    const text = this.applyChatTemplate(messages, {
      extra: options.templateContext,
    })
    return this.tokenizer.encode(text)
  }

  /** Streams the completion as text chunks; `.result` gives the stats. */
  generate(input: string | ChatMessage[], options: GenerateOptions = {}): GenerationStream {
    const native = this.#native
    if (!native) throw new ModelDisposedError()
    const tokens = this.promptTokens(input, options)
    if (tokens.length >= this.info.contextLength)
      throw new ContextOverflowError(tokens.length, this.info.contextLength)
    const request = toNativeRequest(tokens, options, this.tokenizer.special.eosIds)
    this.#active++
    return startGeneration({
      model: native,
      tokenizer: this.tokenizer,
      start: (onEvent) => native.generate(request, onEvent),
      stop: options.stop,
      signal: options.signal,
      logprobs: options.logprobs,
      onFinish: () => {
        this.#active--
      },
    })
  }

  /** Convenience: the whole completion as one string. */
  async complete(input: string | ChatMessage[], options: GenerateOptions = {}): Promise<string> {
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
      return await this.native.evaluate({ ...options, tokens: Int32Array.from(tokens) })
    } catch (e) {
      throw toEngineError(e, this.info.path)
    }
  }

  /** Audits a claimed completion at prefill cost (see audit.ts). */
  audit(params: AuditParameters): Promise<AuditReport> {
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
    if (native) await native.unload()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose()
  }
}
