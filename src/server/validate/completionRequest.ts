// POST /v1/completions (and /api/v0/completions) body -> GenerationRequest.
// The prompt is raw text: no chat template. `logprobs` is the legacy integer
// (number of alternatives per token); `max_tokens` defaults to 16 as
// OpenAI's. Unknown fields are a 400 naming them.
import { z } from 'zod'
import { hiveOptionsSchema } from '../../hive/hiveOptions.ts'
import { InvalidRequestError } from '../errors.ts'
import type { GenerationRequest } from '../generation/types.ts'
import { parseBody } from './parseBody.ts'
import { samplingFields, toGenerateOptions } from './sampling.ts'

const schema = z.strictObject({
  model: z.string().min(1),
  prompt: z.union([
    z.string(),
    z.array(z.string()).length(1, 'only one prompt per request is supported'),
  ]),
  ...samplingFields,
  logprobs: z.number().int().min(0).max(20).nullish(),
  echo: z.boolean().nullish(),
  suffix: z.string().nullish(),
  best_of: z
    .number()
    .int()
    .min(1)
    .max(1, 'only best_of=1 is supported')
    .nullish(),
  hive: hiveOptionsSchema.optional(),
})

export function parseCompletionRequest(body: unknown): GenerationRequest {
  const b = parseBody(schema, body)
  if (b.echo)
    throw new InvalidRequestError(
      "'echo' is not supported.",
      'echo',
      'unsupported_value',
    )
  if (b.suffix)
    throw new InvalidRequestError(
      "'suffix' is not supported.",
      'suffix',
      'unsupported_value',
    )
  const options = toGenerateOptions(b)
  options.raw = true
  // OpenAI's legacy endpoint stops at 16 tokens unless told (-1: no limit).
  if (b.max_tokens == null && b.max_completion_tokens == null)
    options.maxTokens = 16
  if (b.logprobs != null) {
    options.logprobs = true
    options.topLogprobs = b.logprobs
  }
  return {
    model: b.model,
    input: typeof b.prompt === 'string' ? b.prompt : (b.prompt[0] as string),
    options,
    stream: !!b.stream,
    includeUsage: !!b.stream_options?.include_usage,
    ttlSeconds: b.ttl,
    draftModel: b.draft_model,
    ...(b.hive ? { hive: b.hive } : {}),
  }
}
