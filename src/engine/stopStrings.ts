// Stop strings over streamed text: holds back the tail that could still
// become a stop string, and reports the first full match.
export class StopStringMatcher {
  #stops: string[]
  #pending = ''
  #maxLen: number

  constructor(stops: string[]) {
    this.#stops = stops.filter((s) => s.length > 0)
    this.#maxLen = Math.max(0, ...this.#stops.map((s) => s.length))
  }

  /** Returns text safe to emit now, and the stop string if one matched. */
  push(text: string): { emit: string; stop?: string } {
    if (this.#stops.length === 0) return { emit: text }
    this.#pending += text
    let first = -1
    let which: string | undefined
    for (const s of this.#stops) {
      const at = this.#pending.indexOf(s)
      if (at !== -1 && (first === -1 || at < first)) {
        first = at
        which = s
      }
    }
    if (which !== undefined) {
      const emit = this.#pending.slice(0, first)
      this.#pending = ''
      return { emit, stop: which }
    }
    // Keep the longest suffix that is a prefix of some stop string.
    let hold = 0
    for (let n = Math.min(this.#maxLen - 1, this.#pending.length); n > 0; n--) {
      const tail = this.#pending.slice(-n)
      if (this.#stops.some((s) => s.startsWith(tail))) {
        hold = n
        break
      }
    }
    const emit = this.#pending.slice(0, this.#pending.length - hold)
    this.#pending = this.#pending.slice(this.#pending.length - hold)
    return { emit }
  }

  flush(): string {
    const rest = this.#pending
    this.#pending = ''
    return rest
  }
}
