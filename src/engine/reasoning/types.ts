// Types of reasoning ("thinking") output: the tags a model wraps its
// reasoning in, how a chat's output is laid out, and the events a parser
// emits while splitting a generation into reasoning, content and tool calls.
import type { ToolCallEvent } from '../structured/toolCallParser.ts'

/** The markers around a reasoning block, e.g. `<think>` / `</think>`. */
export type ReasoningTags = { open: string; close: string }

export const THINK_TAGS: ReasoningTags = { open: '<think>', close: '</think>' }

/**
 * How a model writes its reasoning: a tagged block at the start of the
 * reply (DeepSeek-R1, Qwen3, QwQ, ...) or gpt-oss's Harmony channels
 * (`analysis` = reasoning, `final` = the answer, `commentary to=functions.X`
 * = a tool call).
 */
export type ReasoningFormat =
  | { kind: 'tags'; tags: ReasoningTags }
  | { kind: 'harmony' }

/** A piece of reasoning text, or one of the content / tool-call events. */
export type ChatOutputEvent =
  | ToolCallEvent
  | { type: 'reasoning'; text: string }

/** Raw-text offsets [start, end) of reasoning, markers included. */
export type ReasoningSpan = { start: number; end: number }
