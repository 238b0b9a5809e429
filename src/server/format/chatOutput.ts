// Splits a chat generation's text into reasoning, content and OpenAI tool
// calls (engine/reasoning/chatOutputParser.ts): reasoning deltas carry the
// model's thinking, content deltas only the answer, and each call streams as
// a first delta with its index, id, type and name, then `function.arguments`
// fragments. It also counts the completion tokens spent reasoning.
import {
  ChatOutputParser,
  type ChatOutputParserOptions,
} from '../../engine/reasoning/chatOutputParser.ts'
import type { ChatOutputEvent } from '../../engine/reasoning/types.ts'
import { toolCallDelta } from '../../engine/structured/toolCallDelta.ts'
import type { StopReason } from '../../engine/types.ts'
import { type FinishReason, finishReason } from './openai.ts'

/** One streamed piece: content, reasoning, or one tool-call delta. */
export type ChatDelta =
  | { content: string }
  | { reasoning: string }
  | { tool_calls: NonNullable<ReturnType<typeof toolCallDelta>>[] }

export type ChatToolCall = {
  id: string
  type: 'function'
  function: { name: string; arguments: string }
}

export class ChatOutput {
  readonly #parser: ChatOutputParser
  #content = ''
  #reasoning = ''

  constructor(options: ChatOutputParserOptions = {}) {
    this.#parser = new ChatOutputParser(options)
  }

  /** Deltas for a piece of generated text (and the tokens it took), in order. */
  push(text: string, tokens = 0): ChatDelta[] {
    return this.#deltas(this.#parser.push(text, tokens))
  }

  /** End of generation: held-back text and an unfinished block or call. */
  flush(): ChatDelta[] {
    return this.#deltas(this.#parser.flush())
  }

  get content(): string {
    return this.#content
  }

  get reasoning(): string {
    return this.#reasoning
  }

  /** Completion tokens inside the reasoning (markers included). */
  get reasoningTokens(): number {
    return this.#parser.reasoningTokens
  }

  get toolCalls(): ChatToolCall[] {
    return this.#parser.calls.map((c) => ({
      id: c.id,
      type: 'function',
      function: { name: c.name, arguments: c.arguments },
    }))
  }

  /** `tool_calls` when calls were made and the output was not cut off. */
  finishReason(stop: StopReason): FinishReason | 'tool_calls' {
    const reason = finishReason(stop)
    return reason === 'stop' && this.toolCalls.length > 0
      ? 'tool_calls'
      : reason
  }

  #deltas(events: ChatOutputEvent[]): ChatDelta[] {
    const out: ChatDelta[] = []
    for (const e of events) {
      if (e.type === 'content') {
        this.#content += e.text
        if (e.text) out.push({ content: e.text })
      } else if (e.type === 'reasoning') {
        this.#reasoning += e.text
        if (e.text) out.push({ reasoning: e.text })
      } else {
        const delta = toolCallDelta(e)
        if (delta) out.push({ tool_calls: [delta] })
      }
    }
    return out
  }
}
