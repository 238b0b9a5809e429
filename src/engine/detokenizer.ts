// UTF-8-safe incremental detokenization: a token may end mid-character, so
// text is only released once the decoded window no longer ends in U+FFFD.
import type { TextTokenizer } from './tokenizer.ts'

export class IncrementalDetokenizer {
  #tokenizer: TextTokenizer
  #ids: number[] = []
  #prefix = 0 // window start (gives the decoder left context for spacing)
  #read = 0 // ids before this are already emitted

  constructor(tokenizer: TextTokenizer) {
    this.#tokenizer = tokenizer
  }

  /** Adds a token; returns the newly completed text ('' if none yet). */
  push(id: number): string {
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
