// UTF-8-safe incremental detokenization: a token may end mid-character, so
// text is only released once the decoded window no longer ends in U+FFFD.
// Special tokens are dropped, except those asked to be kept (written as
// their text, e.g. Harmony's `<|channel|>`).
import type { TextTokenizer } from './tokenizer.ts'

export class IncrementalDetokenizer {
  #tokenizer: TextTokenizer
  #ids: number[] = []
  #prefix = 0 // window start (gives the decoder left context for spacing)
  #read = 0 // ids before this are already emitted
  #keep: ReadonlySet<number>

  constructor(tokenizer: TextTokenizer, keep: Iterable<number> = []) {
    this.#tokenizer = tokenizer
    this.#keep = new Set(keep)
  }

  /** Adds a token; returns the newly completed text ('' if none yet). */
  push(id: number): string {
    if (this.#keep.has(id)) {
      const held = this.flush()
      // The window restarts at the special (dropped when decoding the next
      // tokens), so its text is never emitted twice.
      this.#ids.push(id)
      this.#read = this.#ids.length
      return held + this.#tokenizer.decode([id], { skipSpecial: false })
    }
    this.#ids.push(id)
    const window = this.#ids.slice(this.#prefix)
    const before = this.#tokenizer.decode(
      this.#ids.slice(this.#prefix, this.#read),
    )
    const text = this.#tokenizer.decode(window)
    if (text.length > before.length && !text.endsWith('\uFFFD')) {
      const piece = text.slice(before.length)
      this.#prefix = this.#read
      this.#read = this.#ids.length
      return piece
    }
    return ''
  }

  /** Whatever is still held back (e.g. a dangling partial character). */
  flush(): string {
    const before = this.#tokenizer.decode(
      this.#ids.slice(this.#prefix, this.#read),
    )
    const text = this.#tokenizer.decode(this.#ids.slice(this.#prefix))
    this.#read = this.#ids.length
    this.#prefix = this.#read
    return text.slice(before.length)
  }
}
