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
}

export class GenerationCounters {
  #started = 0
  #completed = 0
  #cancelled = 0
  #failed = 0

  /** Follows one generation from its start to the settling of `result`. */
  track(result: Promise<GenerationStats>): void {
    this.#started++
    result.then(
      (stats) => {
        if (stats.stopReason === 'cancelled') this.#cancelled++
        else this.#completed++
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
    }
  }
}
