// Splits a chat generation into reasoning, content and tool calls as it
// streams: Harmony replies go through HarmonyParser; tagged reasoning through
// ReasoningTagParser, whose content then goes through ToolCallParser when the
// request has tools. It also counts the completion tokens that were spent
// reasoning (tags/headers included): each pushed chunk's tokens count when
// the chunk starts inside a reasoning span.
import { ToolCallParser } from '../structured/toolCallParser.ts'
import type { ParsedToolCall, ToolCallFormat } from '../structured/types.ts'
import { HarmonyParser } from './harmonyParser.ts'
import { ReasoningTagParser } from './reasoningTagParser.ts'
import type {
  ChatOutputEvent,
  ReasoningFormat,
  ReasoningSpan,
} from './types.ts'

export type ChatOutputParserOptions = {
  /** How the model reasons; undefined = no reasoning parsing. */
  reasoning?: ReasoningFormat
  /** The prompt left a reasoning block open (tags only). */
  startInReasoning?: boolean
  /** Harmony: the header of the message the prompt left open. */
  openHeader?: string
  /** The tool-call format when the request has tools. */
  toolCallFormat?: ToolCallFormat
  newId?: () => string
}

export class ChatOutputParser {
  readonly #harmony: HarmonyParser | undefined
  readonly #tags: ReasoningTagParser | undefined
  readonly #tools: ToolCallParser | undefined
  #offset = 0
  #chunks: { at: number; tokens: number }[] = []

  constructor(options: ChatOutputParserOptions = {}) {
    const { reasoning, toolCallFormat, newId } = options
    if (reasoning?.kind === 'harmony') {
      this.#harmony = new HarmonyParser({
        toolCalls: !!toolCallFormat,
        newId,
        openHeader: options.openHeader,
      })
      return
    }
    if (reasoning)
      this.#tags = new ReasoningTagParser(reasoning.tags, {
        startInside: options.startInReasoning,
      })
    if (toolCallFormat)
      this.#tools = new ToolCallParser(toolCallFormat, { newId })
  }

  /** Events for a piece of generated text (`tokens`: how many it took). */
  push(text: string, tokens = 0): ChatOutputEvent[] {
    this.#chunks.push({ at: this.#offset, tokens })
    this.#offset += text.length
    if (this.#harmony) return this.#harmony.push(text)
    return this.#content(
      this.#tags ? this.#tags.push(text) : [{ type: 'content', text }],
      false,
    )
  }

  /** End of generation: held-back text, an unfinished block or call. */
  flush(): ChatOutputEvent[] {
    if (this.#harmony) return this.#harmony.flush()
    return this.#content(this.#tags?.flush() ?? [], true)
  }

  get calls(): ParsedToolCall[] {
    return this.#harmony?.calls ?? this.#tools?.calls ?? []
  }

  /** Completion tokens inside reasoning so far. */
  get reasoningTokens(): number {
    const spans: readonly ReasoningSpan[] =
      this.#harmony?.spans ?? this.#tags?.spans ?? []
    let n = 0
    for (const c of this.#chunks)
      if (spans.some((s) => c.at >= s.start && c.at < s.end)) n += c.tokens
    return n
  }

  #content(
    events: { type: 'reasoning' | 'content'; text: string }[],
    final: boolean,
  ): ChatOutputEvent[] {
    const tools = this.#tools
    if (!tools) return events
    const out: ChatOutputEvent[] = []
    for (const e of events)
      if (e.type === 'reasoning') out.push(e)
      else out.push(...tools.push(e.text))
    if (final) out.push(...tools.flush())
    return out
  }
}
