// Folds /v1/chat/completions stream chunks into the assistant message being
// shown: content and reasoning deltas appended, tool calls assembled by
// index, finish reason and usage kept. Timing (TTFT, tokens/s) is measured
// here, in the browser, from when the request was sent.
import type { ChatMessage, ReplyStats, ToolCall } from './types.ts'

export type ChatChunk = {
  choices?: {
    delta?: {
      content?: string | null
      reasoning_content?: string | null
      reasoning?: string | null
      tool_calls?: {
        index: number
        id?: string | null
        function?: { name?: string | null; arguments?: string | null }
      }[]
    }
    finish_reason?: string | null
  }[]
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null
  error?: { message?: string }
}

export type ReplyState = {
  content: string
  reasoning: string
  toolCalls: ToolCall[]
  finishReason: string | null
  promptTokens: number | null
  completionTokens: number | null
  sentAt: number
  firstTokenAt: number | null
  lastTokenAt: number | null
}

export const startReply = (sentAt: number): ReplyState => ({
  content: '',
  reasoning: '',
  toolCalls: [],
  finishReason: null,
  promptTokens: null,
  completionTokens: null,
  sentAt,
  firstTokenAt: null,
  lastTokenAt: null,
})

export function applyChunk(
  state: ReplyState,
  chunk: ChatChunk,
  now: number,
): ReplyState {
  const next = { ...state, toolCalls: [...state.toolCalls] }
  let produced = false
  for (const choice of chunk.choices ?? []) {
    const d = choice.delta ?? {}
    if (d.content) {
      next.content += d.content
      produced = true
    }
    const thought = d.reasoning_content ?? d.reasoning
    if (thought) {
      next.reasoning += thought
      produced = true
    }
    for (const t of d.tool_calls ?? []) {
      const prev = next.toolCalls[t.index] ?? {
        id: '',
        name: '',
        arguments: '',
      }
      next.toolCalls[t.index] = {
        id: t.id || prev.id,
        name: prev.name + (t.function?.name ?? ''),
        arguments: prev.arguments + (t.function?.arguments ?? ''),
      }
      produced = true
    }
    if (choice.finish_reason) next.finishReason = choice.finish_reason
  }
  if (chunk.usage) {
    next.promptTokens = chunk.usage.prompt_tokens ?? null
    next.completionTokens = chunk.usage.completion_tokens ?? null
  }
  if (produced) {
    next.firstTokenAt ??= now
    next.lastTokenAt = now
  }
  return next
}

export function replyStats(state: ReplyState): ReplyStats {
  const first = state.firstTokenAt
  const n = state.completionTokens
  const span =
    first !== null && state.lastTokenAt !== null
      ? (state.lastTokenAt - first) / 1000
      : 0
  return {
    ttftMs: first === null ? null : Math.round(first - state.sentAt),
    // the first token's time is TTFT; the rate is over the tokens after it
    tokensPerSecond: n !== null && n > 1 && span > 0 ? (n - 1) / span : null,
    completionTokens: n,
    promptTokens: state.promptTokens,
    finishReason: state.finishReason,
  }
}

/** The assistant message for the state so far. */
export function replyMessage(
  base: ChatMessage,
  state: ReplyState,
): ChatMessage {
  return {
    ...base,
    content: state.content,
    ...(state.reasoning ? { reasoning: state.reasoning } : {}),
    ...(state.toolCalls.length
      ? { toolCalls: state.toolCalls.filter(Boolean) }
      : {}),
    stats: replyStats(state),
  }
}
