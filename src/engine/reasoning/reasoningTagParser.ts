// Streaming split of a reply into a leading reasoning block and the content
// after it, for models that wrap their thinking in tags (`<think>…</think>`).
// Tags may arrive cut across chunks: a tail that could be the start of a tag
// is held back until the next chunk decides. Only a block at the very start
// (after blanks) is reasoning: a tag in the middle of an answer is content.
// When the prompt already opened the block (DeepSeek-R1's template ends in
// `<think>\n`), the reply starts inside it. The first close tag ends the
// block; an open tag inside it is reasoning text; a block never closed is all
// reasoning. Blanks right inside the tags and right after the close are
// trimmed, as llama.cpp and vLLM do.
import type { ReasoningSpan, ReasoningTags } from './types.ts'

export type ReasoningTagEvent =
  | { type: 'reasoning'; text: string }
  | { type: 'content'; text: string }

type Mode = 'start' | 'reasoning' | 'content'

/** Length of the longest suffix of `text` that is a proper prefix of `tag`. */
export function partialTagAt(text: string, tag: string): number {
  for (let k = Math.min(tag.length - 1, text.length); k > 0; k--)
    if (tag.startsWith(text.slice(text.length - k))) return k
  return 0
}

export class ReasoningTagParser {
  readonly tags: ReasoningTags
  #mode: Mode
  #pending = ''
  #base = 0 // raw offset of #pending[0]
  #leading = true // blanks at the start of the current part are dropped
  #spans: ReasoningSpan[] = []

  constructor(tags: ReasoningTags, options: { startInside?: boolean } = {}) {
    if (!tags.open || !tags.close)
      throw new Error('[ReasoningTagParser] tags must not be empty')
    this.tags = tags
    this.#mode = options.startInside ? 'reasoning' : 'start'
    if (options.startInside) this.#spans.push({ start: 0, end: Infinity })
  }

  /** Reasoning found so far; the last one is open (end Infinity) while inside. */
  get spans(): readonly ReasoningSpan[] {
    return this.#spans
  }

  /** True while the text being generated is reasoning. */
  get inReasoning(): boolean {
    return this.#mode === 'reasoning'
  }

  push(text: string): ReasoningTagEvent[] {
    const out: ReasoningTagEvent[] = []
    this.#pending += text
    this.#run(out, false)
    return out
  }

  /** End of generation: releases what was held back. */
  flush(): ReasoningTagEvent[] {
    const out: ReasoningTagEvent[] = []
    this.#run(out, true)
    if (this.#mode === 'reasoning')
      this.#take(out, 'reasoning', this.#pending.trimEnd().length)
    else this.#take(out, 'content', this.#pending.length)
    this.#drop(this.#pending.length)
    return out
  }

  #run(out: ReasoningTagEvent[], final: boolean): void {
    while (true) {
      const mode = this.#mode
      if (mode === 'start') this.#start(final)
      else if (mode === 'reasoning') this.#reasoning(out, final)
      else this.#take(out, 'content', this.#pending.length)
      if (this.#mode === mode) return
    }
  }

  // Before anything is shown: an open tag after blanks starts reasoning.
  #start(final: boolean): void {
    const { open } = this.tags
    const t = this.#pending.trimStart()
    if (t.startsWith(open)) {
      this.#spans.push({ start: this.#base, end: Infinity })
      this.#drop(this.#pending.length - t.length + open.length)
      this.#mode = 'reasoning'
      this.#leading = true
    } else if (final || !open.startsWith(t)) {
      this.#mode = 'content'
      this.#leading = false
    }
  }

  #reasoning(out: ReasoningTagEvent[], final: boolean): void {
    const { open, close } = this.tags
    if (this.#leading) {
      // A reply that repeats the open tag the prompt already wrote.
      const t = this.#pending.trimStart()
      if (!final && t.length < open.length && open.startsWith(t)) return
      if (t.startsWith(open))
        this.#drop(this.#pending.length - t.length + open.length)
    }
    const at = this.#pending.indexOf(close)
    if (at >= 0) {
      this.#take(out, 'reasoning', this.#pending.slice(0, at).trimEnd().length)
      this.#drop(this.#pending.indexOf(close) + close.length)
      const span = this.#spans[this.#spans.length - 1]
      if (span) span.end = this.#base
      this.#mode = 'content'
      this.#leading = true
      return
    }
    // Hold back a possible start of the close tag and trailing blanks (they
    // are trimmed if the tag follows).
    let keep = partialTagAt(this.#pending, close)
    const body = this.#pending.slice(0, this.#pending.length - keep)
    keep += body.length - body.trimEnd().length
    if (!final) this.#take(out, 'reasoning', this.#pending.length - keep)
  }

  // Emits pending[0, upto) as `type`, dropping leading blanks of a part.
  #take(
    out: ReasoningTagEvent[],
    type: 'reasoning' | 'content',
    upto: number,
  ): void {
    if (this.#leading) {
      const blanks = this.#pending.length - this.#pending.trimStart().length
      const n = Math.min(blanks, upto)
      this.#drop(n)
      upto -= n
      if (upto === 0) return
      this.#leading = false
    }
    if (upto <= 0) return
    const text = this.#pending.slice(0, upto)
    this.#drop(upto)
    const last = out[out.length - 1]
    if (last?.type === type) last.text += text
    else out.push({ type, text })
  }

  #drop(n: number): void {
    this.#pending = this.#pending.slice(n)
    this.#base += n
  }
}
