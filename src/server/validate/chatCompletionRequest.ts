// POST /v1/chat/completions (and /api/v0/chat/completions) body -> a typed
// GenerationRequest. Unsupported features are a 400, never silently ignored.
import { z } from 'zod'
import { InvalidRequestError } from '../errors.ts'
import type { GenerationRequest } from '../generation/types.ts'
import { messagesSchema, toChatMessages } from './messages.ts'
import { parseBody } from './parseBody.ts'
import { samplingFields, toGenerateOptions } from './sampling.ts'

const schema = z.object({
  model: z.string().min(1),
  messages: messagesSchema,
  ...samplingFields,
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  tools: z
    .array(
      z.object({
        type: z.literal('function'),
        function: z.object({ name: z.string() }).loose(),
      }),
    )
    .nullish(),
  tool_choice: z.unknown().optional(),
  response_format: z.object({ type: z.string() }).loose().nullish(),
})

export function parseChatCompletionRequest(body: unknown): GenerationRequest {
  const b = parseBody(schema, body)
  if (b.top_logprobs && !b.logprobs) {
    throw new InvalidRequestError(
      "'top_logprobs' requires 'logprobs' to be true.",
      'top_logprobs',
      'invalid_value',
    )
  }
  const format = b.response_format?.type
  if (format && format !== 'text') {
    throw new InvalidRequestError(
      `'response_format.type' "${format}" is not supported yet; use "text".`,
      'response_format.type',
      'unsupported_value',
    )
  }
  const options = toGenerateOptions(b)
  if (b.logprobs) {
    options.logprobs = true
    options.topLogprobs = b.top_logprobs ?? 0
  }
  if (b.tools?.length) options.templateContext = { tools: b.tools }
  return {
    model: b.model,
    input: toChatMessages(b.messages),
    options,
    stream: !!b.stream,
    includeUsage: !!b.stream_options?.include_usage,
    ttlSeconds: b.ttl,
  }
}
