// Counts the generations the server has started and how each one ended, so
// load tests (and operators) can check that a client disconnect really
// cancelled its generation and that nothing is left running.
import type { GenerationStats } from '../../engine/types.ts'

export type GenerationCountsSnapshot = {
  /** Started and not yet ended. */
  activeGenerations: number
  startedGenerations: number
  /** Ended on their own: EOS, stop string, max tokens, context full. */
  completedGenerations: number
  /** Ended by a cancel (client disconnect or explicit cancel). */
  cancelledGenerations: number
  /** Ended with an engine error. */
  failedGenerations: number
  /** Tokens of finished generations: prompt, reused from the prefix cache, generated. */
  tokens: { prompt: number; cached: number; completion: number }
  /** Seconds spent decoding (after the first token), summed. */
  decodeSeconds: number
  /** Speculative decoding over all finished generations that used a draft. */
  draftTokens: {
    total: number
    accepted: number
    rejected: number
    ignored: number
  }
}

export class GenerationCounters {
  #started = 0
  #completed = 0
  #cancelled = 0
  #failed = 0
  #draft = { total: 0, accepted: 0, rejected: 0, ignored: 0 }
  #tokens = { prompt: 0, cached: 0, completion: 0 }
  #decodeMs = 0

  /** Follows one generation from its start to the settling of `result`. */
  track(result: Promise<GenerationStats>): void {
    this.#started++
    result.then(
      (stats) => {
        if (stats.stopReason === 'cancelled') this.#cancelled++
        else this.#completed++
        this.#tokens.prompt += stats.promptTokens
        this.#tokens.cached += stats.cachedTokens
        this.#tokens.completion += stats.completionTokens
        this.#decodeMs += Math.max(
          0,
          stats.totalTimeMs - stats.timeToFirstTokenMs,
        )
        const d = stats.speculative
        if (d) {
          this.#draft.total += d.totalDraftTokens
          this.#draft.accepted += d.acceptedDraftTokens
          this.#draft.rejected += d.rejectedDraftTokens
          this.#draft.ignored += d.ignoredDraftTokens
        }
      },
      () => {
        this.#failed++
      },
    )
  }

  snapshot(): GenerationCountsSnapshot {
    const ended = this.#completed + this.#cancelled + this.#failed
    return {
      activeGenerations: this.#started - ended,
      startedGenerations: this.#started,
      completedGenerations: this.#completed,
      cancelledGenerations: this.#cancelled,
      failedGenerations: this.#failed,
      tokens: { ...this.#tokens },
      decodeSeconds: Math.round(this.#decodeMs) / 1000,
      draftTokens: { ...this.#draft },
    }
  }
}
