// A small stand-in for the engine's Model used by HTTP-layer unit tests
// (framing, validation, error mapping, residency). One character = one
// token; it answers with a scripted reply, honours maxTokens / stop /
// signal, overflows like the engine, and reports a prefix-cache hit count.
import { ChatTemplate } from '../../src/engine/chatTemplate.ts'
import { ContextOverflowError } from '../../src/engine/errors.ts'
import type {
  ChatMessage,
  GenerateOptions,
  GenerationChunk,
  GenerationStats,
  ModelInfo,
  TokenLogprob,
} from '../../src/engine/types.ts'
import type {
  EngineModel,
  GenerationStreamLike,
  LocalModel,
} from '../../src/models/types.ts'

export type FakeModelOptions = {
  reply?: string
  contextLength?: number
  type?: ModelInfo['type']
  /** Resolves before each token: lets tests hold a generation open. */
  gate?: () => Promise<void>
  /** A real Jinja chat template (the server reads its family from it). */
  template?: string
}

export class FakeModel implements EngineModel {
  readonly info: ModelInfo
  disposed = 0
  calls: { input: string | ChatMessage[]; options: GenerateOptions }[] = []
  cancelled = 0
  #reply: string
  #gate?: () => Promise<void>
  #lastPrompt: number[] = []
  readonly template: ChatTemplate | undefined

  constructor(path: string, o: FakeModelOptions = {}) {
    this.#reply = o.reply ?? 'Hello there, friend.'
    this.#gate = o.gate
    this.template =
      o.template === undefined ? undefined : new ChatTemplate(o.template)
    this.info = {
      path,
      format: 'gguf',
      type: o.type ?? 'llm',
      architecture: 'llama',
      contextLength: o.contextLength ?? 512,
      vocabSize: 256,
      hiddenSize: 8,
      numLayers: 1,
      quantization: 'Q4_1',
      sizeBytes: 1000,
      backend: 'cpu',
      dtype: 'float32',
    }
  }

  tokenize = (text: string) => [...Buffer.from(text, 'latin1')]
  detokenize = (ids: number[]) => Buffer.from(ids).toString('latin1')
  applyChatTemplate = (
    messages: ChatMessage[],
    opts: { extra?: Record<string, unknown> } = {},
  ) =>
    this.template
      ? this.template.render(messages, { extra: opts.extra })
      : `${messages.map((m) => `<${m.role}>${typeof m.content === 'string' ? m.content : ''}`).join('')}<assistant>`

  generate(
    input: string | ChatMessage[],
    options: GenerateOptions = {},
  ): GenerationStreamLike {
    this.calls.push({ input, options })
    const prompt = this.tokenize(
      typeof input === 'string'
        ? input
        : this.applyChatTemplate(input, { extra: options.templateContext }),
    )
    let cached = 0
    while (
      cached < prompt.length &&
      prompt[cached] === this.#lastPrompt[cached]
    )
      cached++
    this.#lastPrompt = prompt
    let cancel = false
    const self = this
    let resolveResult!: (s: GenerationStats) => void
    const result = new Promise<GenerationStats>((r) => {
      resolveResult = r
    })
    async function* run(): AsyncGenerator<GenerationChunk> {
      if (prompt.length >= self.info.contextLength) {
        throw new ContextOverflowError(prompt.length, self.info.contextLength)
      }
      const limit =
        options.maxTokens && options.maxTokens > 0
          ? options.maxTokens
          : Infinity
      const room = self.info.contextLength - prompt.length
      let text = ''
      let reason: GenerationStats['stopReason'] = 'eos'
      const ids: number[] = []
      for (const ch of self.#reply) {
        await self.#gate?.()
        if (cancel || options.signal?.aborted) {
          reason = 'cancelled'
          self.cancelled++
          break
        }
        if (ids.length >= limit || ids.length >= room) {
          reason = ids.length >= room ? 'contextFull' : 'maxTokens'
          break
        }
        const stop = options.stop?.find((s) => (text + ch).endsWith(s))
        if (stop) {
          reason = 'stopString'
          break
        }
        text += ch
        ids.push(ch.charCodeAt(0))
        const logprobs: TokenLogprob[] | undefined = options.logprobs
          ? [
              {
                token: ch.charCodeAt(0),
                text: ch,
                logprob: -0.5,
                top: Array.from(
                  { length: options.topLogprobs ?? 0 },
                  (_, i) => ({
                    token: 65 + i,
                    text: String.fromCharCode(65 + i),
                    logprob: -1 - i,
                  }),
                ),
              },
            ]
          : undefined
        yield {
          text: ch,
          tokens: [ch.charCodeAt(0)],
          ...(logprobs ? { logprobs } : {}),
        }
      }
      resolveResult({
        promptTokens: prompt.length,
        commitments: [],
        completionTokens: ids.length,
        cachedTokens: cached,
        kvCacheBytes: 0,
        timeToFirstTokenMs: 1,
        promptTokensPerSecond: 1000,
        tokensPerSecond: 100,
        totalTimeMs: 10,
        stopReason: reason,
        tokenIds: ids,
        seed: options.seed ?? 0,
      })
    }
    const it = run()
    return {
      [Symbol.asyncIterator]: () => it,
      result,
      cancel: () => {
        cancel = true
      },
    }
  }

  async dispose() {
    this.disposed++
  }
}

/** A catalogue entry pointing at nothing on disk. */
export function fakeLocal(
  key: string,
  o: Partial<LocalModel> = {},
): LocalModel {
  const [publisher = 'test', name = key] = key.split('/')
  return {
    key,
    publisher,
    name,
    alias: name.toLowerCase(),
    variant: 'q4_1',
    path: `/models/${key}.gguf`,
    format: 'gguf',
    type: 'llm',
    architecture: 'llama',
    quantization: 'Q4_1',
    sizeBytes: 1000,
    maxContextLength: 512,
    source: 'hub',
    ...o,
  }
}
