// A running generation seen from JS: an async iterator of text chunks fed by
// the native token callback, plus a promise of the final stats.
import { IncrementalDetokenizer } from './detokenizer.ts'
import type { NativeEvent, NativeModel, NativeStats } from './native.ts'
import { StopStringMatcher } from './stopStrings.ts'
import { toEngineError } from './toEngineError.ts'
import type { TextTokenizer } from './tokenizer.ts'
import type {
  GenerationChunk,
  GenerationStats,
  StopReason,
  TokenLogprob,
} from './types.ts'

export interface GenerationStream extends AsyncIterable<GenerationChunk> {
  /** Resolves with the stats once generation ends (also when cancelled). */
  readonly result: Promise<GenerationStats>
  cancel(): void
}

export type StartGenerationParameters = {
  model: NativeModel
  tokenizer: TextTokenizer
  start: (onEvent: (e: NativeEvent) => void) => number
  stop?: string[]
  signal?: AbortSignal
  logprobs?: boolean
  /** Special token ids written into the text instead of dropped. */
  keepTokenIds?: number[]
  onFinish?: () => void
  /** Prefill progress (uncached prompt tokens processed, their total). */
  onPromptProgress?: (processed: number, total: number) => void
}

export type FullStats = GenerationStats & { native: NativeStats }

export function startGeneration(
  p: StartGenerationParameters,
): GenerationStream & { result: Promise<FullStats> } {
  const queue: GenerationChunk[] = []
  let waiter: (() => void) | undefined
  let done = false
  let failure: Error | undefined
  let stopString: string | undefined
  const tokenIds: number[] = []
  const detok = new IncrementalDetokenizer(p.tokenizer, p.keepTokenIds)
  const matcher = new StopStringMatcher(p.stop ?? [])
  let pendingTokens: number[] = []
  let pendingLogprobs: TokenLogprob[] = []
  let resolveResult!: (s: FullStats) => void
  let rejectResult!: (e: Error) => void
  const result = new Promise<FullStats>((res, rej) => {
    resolveResult = res
    rejectResult = rej
  })
  result.catch(() => {}) // surfaced through the iterator too

  const wake = () => {
    waiter?.()
    waiter = undefined
  }
  const emit = (text: string) => {
    if (text.length === 0 && pendingTokens.length === 0) return
    queue.push({
      text,
      tokens: pendingTokens,
      ...(p.logprobs ? { logprobs: pendingLogprobs } : {}),
    })
    pendingTokens = []
    pendingLogprobs = []
    wake()
  }

  let requestId = -1
  const cancel = () => {
    if (!done && requestId >= 0) p.model.cancel(requestId)
  }
  const onEvent = (e: NativeEvent) => {
    if (e.type === 'prefill') {
      if (!done) p.onPromptProgress?.(e.processed, e.total)
      return
    }
    if (e.type === 'token') {
      if (stopString !== undefined) return // already stopping
      tokenIds.push(e.token)
      pendingTokens.push(e.token)
      if (p.logprobs)
        pendingLogprobs.push({
          token: e.token,
          text: p.tokenizer.decode([e.token], { skipSpecial: false }),
          logprob: e.logprob,
          top: (e.top ?? []).map(([token, logprob]) => ({
            token,
            text: p.tokenizer.decode([token], { skipSpecial: false }),
            logprob,
          })),
        })
      const { emit: text, stop } = matcher.push(detok.push(e.token))
      emit(text)
      if (stop !== undefined) {
        stopString = stop
        cancel()
      }
      return
    }
    done = true
    p.signal?.removeEventListener('abort', cancel)
    p.onFinish?.()
    if (e.type === 'error') {
      failure = toEngineError(e.error)
      rejectResult(failure)
      wake()
      return
    }
    if (stopString === undefined)
      emit(matcher.push(detok.flush()).emit + matcher.flush())
    const s = e.stats
    const stopReason: StopReason =
      stopString !== undefined ? 'stopString' : s.stopReason
    resolveResult({
      promptTokens: s.promptTokens,
      completionTokens: tokenIds.length,
      cachedTokens: s.cachedTokens,
      kvCacheBytes: s.kvCacheBytes,
      timeToFirstTokenMs: s.timeToFirstTokenMs,
      promptTokensPerSecond: s.promptTokensPerSecond,
      tokensPerSecond: s.tokensPerSecond,
      totalTimeMs: s.totalTimeMs,
      stopReason,
      ...(stopString !== undefined ? { stopString } : {}),
      tokenIds,
      seed: s.seed - 1, // the addon reserves 0 for "unseeded"
      commitments: s.commitments.map((c) => ({
        index: c.index,
        indices: Array.from(c.indices),
        values: Array.from(c.values),
      })),
      ...(s.speculative ? { speculative: s.speculative } : {}),
      native: s,
    })
    wake()
  }

  // An exception thrown here would be lost in the native callback; turn it
  // into a failed generation instead.
  const safeOnEvent = (e: NativeEvent) => {
    try {
      onEvent(e)
    } catch (error) {
      if (!done) {
        done = true
        cancel()
        p.onFinish?.()
      }
      failure = toEngineError(error)
      rejectResult(failure)
      wake()
    }
  }
  requestId = p.start(safeOnEvent)
  if (p.signal) {
    if (p.signal.aborted) cancel()
    else p.signal.addEventListener('abort', cancel, { once: true })
  }

  return {
    result,
    cancel,
    async *[Symbol.asyncIterator]() {
      try {
        while (true) {
          const chunk = queue.shift()
          if (chunk) {
            yield chunk
            continue
          }
          if (failure) throw failure
          if (done) return
          await new Promise<void>((r) => {
            waiter = r
          })
        }
      } finally {
        // A consumer that stops early cancels the generation.
        if (!done) cancel()
      }
    },
  }
}
