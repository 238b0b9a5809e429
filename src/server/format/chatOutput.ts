// Splits a chat generation's text into content and OpenAI tool calls. With a
// tool-call format, text goes through ToolCallParser: content deltas carry
// only what is not a call, and each call streams as a first delta with its
// index, id, type and name, then `function.arguments` fragments. Without a
// format, every piece of text is content.
import { toolCallDelta } from '../../engine/structured/toolCallDelta.ts'
import { ToolCallParser } from '../../engine/structured/toolCallParser.ts'
import type { ToolCallFormat } from '../../engine/structured/types.ts'
import type { StopReason } from '../../engine/types.ts'
import { type FinishReason, finishReason } from './openai.ts'

/** One streamed piece: content text or one tool-call delta. */
export type ChatDelta =
  | { content: string }
  | { tool_calls: NonNullable<ReturnType<typeof toolCallDelta>>[] }

export type ChatToolCall = {
  id: string
  type: 'function'
  function: { name: string; arguments: string }
}

export class ChatOutput {
  readonly #parser: ToolCallParser | undefined
  #content = ''

  constructor(format: ToolCallFormat | undefined) {
    this.#parser = format ? new ToolCallParser(format) : undefined
  }

  /** Deltas for a piece of generated text, in order. */
  push(text: string): ChatDelta[] {
    if (!this.#parser) return this.#text(text)
    return this.#events(this.#parser.push(text))
  }

  /** End of generation: held-back text and an unfinished call. */
  flush(): ChatDelta[] {
    return this.#parser ? this.#events(this.#parser.flush()) : []
  }

  get content(): string {
    return this.#content
  }

  get toolCalls(): ChatToolCall[] {
    return (this.#parser?.calls ?? []).map((c) => ({
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

  #events(events: ReturnType<ToolCallParser['push']>): ChatDelta[] {
    const out: ChatDelta[] = []
    for (const e of events) {
      if (e.type === 'content') out.push(...this.#text(e.text))
      const delta = toolCallDelta(e)
      if (delta) out.push({ tool_calls: [delta] })
    }
    return out
  }

  #text(text: string): ChatDelta[] {
    if (!text) return []
    this.#content += text
    return [{ content: text }]
  }
}
