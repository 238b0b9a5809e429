// The Responses API `response` object: the request's settings echoed back
// (as OpenAI does), the output items, status (`incomplete` with
// `incomplete_details.reason` when max_output_tokens or the context cut the
// answer off) and usage with cached and reasoning tokens.
import { randomBytes } from 'node:crypto'
import type { GenerationStats } from '../../engine/types.ts'
import type { ResponsesRequestBody } from '../validate/responses/schema.ts'
import { nowSeconds } from './openai.ts'

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete'

export type ResponseObject = { id: string; created_at: number } & Record<
  string,
  unknown
>

export const newResponseId = () => `resp_${randomBytes(24).toString('hex')}`

/** The response before any output: what response.created carries. */
export function responseHead(
  body: ResponsesRequestBody,
  model: string,
): ResponseObject {
  return {
    id: newResponseId(),
    object: 'response',
    created_at: nowSeconds(),
    status: 'in_progress',
    background: false,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    max_tool_calls: body.max_tool_calls ?? null,
    model,
    output: [],
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: {
      effort: body.reasoning?.effort ?? null,
      summary: body.reasoning?.summary ?? null,
    },
    service_tier: 'default',
    store: body.store ?? true,
    temperature: body.temperature ?? null,
    text: {
      format: body.text?.format ?? { type: 'text' },
      verbosity: body.text?.verbosity ?? 'medium',
    },
    tool_choice: body.tool_choice ?? 'auto',
    tools: (body.tools ?? []).map((t) => ({
      type: 'function',
      name: t.name,
      description: t.description ?? null,
      parameters: t.parameters ?? null,
      strict: t.strict ?? false,
    })),
    top_logprobs: 0,
    top_p: body.top_p ?? null,
    truncation: body.truncation ?? 'disabled',
    usage: null,
    user: body.user ?? null,
    metadata: body.metadata ?? {},
  }
}

/** `incomplete` when the answer was cut off by a token limit. */
export function statusOf(stats: GenerationStats): 'completed' | 'incomplete' {
  return stats.stopReason === 'maxTokens' || stats.stopReason === 'contextFull'
    ? 'incomplete'
    : 'completed'
}

export function finishedResponse(
  head: ResponseObject,
  output: object[],
  stats: GenerationStats,
  reasoningTokens: number,
): ResponseObject {
  const status = statusOf(stats)
  return {
    ...head,
    status,
    incomplete_details:
      // OpenAI has no separate reason for a full context window.
      status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    output,
    usage: {
      input_tokens: stats.promptTokens,
      input_tokens_details: { cached_tokens: stats.cachedTokens },
      output_tokens: stats.completionTokens,
      output_tokens_details: { reasoning_tokens: reasoningTokens },
      total_tokens: stats.promptTokens + stats.completionTokens,
    },
  }
}
