// POST /v1/chat/completions (and /api/v0/chat/completions) body -> a typed
// GenerationRequest. Unknown fields and unsupported features are a 400
// naming the field, never silently ignored; response_format / tools are
// checked here (validate/structured.ts), reasoning controls in reasoning.ts.
import { z } from 'zod'
import type { FetchImageOptions } from '../../engine/vision/fetchImage.ts'
import { hiveOptionsSchema } from '../../hive/hiveOptions.ts'
import { InvalidRequestError } from '../errors.ts'
import type { GenerationRequest } from '../generation/types.ts'
import { messagesSchema, toChatMessages } from './messages.ts'
import {
  bookkeepingFields,
  rejectUnsupported,
  unsupportedChatFields,
} from './openaiFields.ts'
import { parseBody } from './parseBody.ts'
import { reasoningFields, toTemplateContext } from './reasoning.ts'
import { samplingFields, toGenerateOptions } from './sampling.ts'
import { structuredFields, toStructuredRequest } from './structured.ts'

const schema = z.strictObject({
  model: z.string().min(1),
  messages: messagesSchema,
  ...samplingFields,
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  ...structuredFields,
  ...reasoningFields,
  ...bookkeepingFields,
  ...unsupportedChatFields,
  hive: hiveOptionsSchema.optional(),
})

export async function parseChatCompletionRequest(
  body: unknown,
  images: FetchImageOptions = {},
): Promise<GenerationRequest> {
  const b = parseBody(schema, body)
  rejectUnsupported(b)
  if (b.top_logprobs && !b.logprobs) {
    throw new InvalidRequestError(
      "'top_logprobs' requires 'logprobs' to be true.",
      'top_logprobs',
      'invalid_value',
    )
  }
  const input = await toChatMessages(b.messages, images)
  const options = toGenerateOptions(b)
  if (b.logprobs) {
    options.logprobs = true
    options.topLogprobs = b.top_logprobs ?? 0
  }
  const templateContext = toTemplateContext(b)
  if (templateContext) options.templateContext = templateContext
  return {
    model: b.model,
    input,
    structured: toStructuredRequest(b, input),
    options,
    stream: !!b.stream,
    includeUsage: !!b.stream_options?.include_usage,
    ttlSeconds: b.ttl,
    draftModel: b.draft_model,
    parseReasoning: b.reasoning_format !== 'none',
    ...(b.hive ? { hive: b.hive } : {}),
  }
}
