// Responses' `truncation: "auto"`: when the conversation does not fit the
// context, drop its oldest turn (a user message and everything up to the
// next user message: the answer, tool calls and their results) and try
// again. System messages stay; the last user turn is never dropped.
import type { ChatMessage } from '../../engine/types.ts'

/** The chat without its oldest turn, or undefined when none can go. */
export function dropOldestTurn(
  messages: ChatMessage[],
): ChatMessage[] | undefined {
  const start = messages.findIndex((m) => m.role !== 'system')
  if (start < 0) return undefined
  let end = start + 1
  while (end < messages.length && messages[end]?.role !== 'user') end++
  // Keep at least one user turn.
  if (end >= messages.length) return undefined
  return [...messages.slice(0, start), ...messages.slice(end)]
}
