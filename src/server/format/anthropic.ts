// Anthropic Messages response pieces built from engine results: ids, stop
// reasons and usage (the prefix cache's reuse reported as cache reads).
// Errors are shaped in errors.ts.
import { randomBytes } from 'node:crypto'
import type { GenerationStats } from '../../engine/types.ts'

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** `msg_…`, `toolu_…`, `req_…`: a prefix and 24 base62 characters. */
export function anthropicId(prefix: 'msg' | 'toolu' | 'req'): string {
  const bytes = randomBytes(24)
  let id = `${prefix}_`
  for (const b of bytes) id += BASE62[b % 62]
  return id
}

export type AnthropicStopReason =
  | 'end_turn'
  | 'max_tokens'
  | 'stop_sequence'
  | 'tool_use'
  | 'model_context_window_exceeded'

export function stopReasonOf(
  stats: GenerationStats,
  calledTools: boolean,
): AnthropicStopReason {
  switch (stats.stopReason) {
    case 'maxTokens':
      return 'max_tokens'
    case 'contextFull':
      return 'model_context_window_exceeded'
    case 'stopString':
      return 'stop_sequence'
    default:
      return calledTools ? 'tool_use' : 'end_turn'
  }
}

/** Anthropic counts cache reads apart from (not inside) input_tokens. */
export function usageOf(stats: GenerationStats) {
  return {
    input_tokens: stats.promptTokens - stats.cachedTokens,
    output_tokens: stats.completionTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: stats.cachedTokens,
  }
}
