// Sampling fields shared by the OpenAI and LM Studio generation endpoints,
// and their translation into the engine's GenerateOptions. Every field is
// honoured; out-of-range values are a 400 naming the field; null (which the
// OpenAI types allow) means "not set", so the model's default applies.
import { z } from 'zod'
import type { GenerateOptions } from '../../engine/types.ts'
import { InvalidRequestError } from '../errors.ts'

export const samplingFields = {
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  top_k: z.number().int().min(-1).nullish(),
  min_p: z.number().min(0).max(1).nullish(),
  max_tokens: z.number().int().min(-1).nullish(),
  max_completion_tokens: z.number().int().min(-1).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(16)]).nullish(),
  seed: z.number().int().nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  repeat_penalty: z.number().gt(0).nullish(),
  repetition_penalty: z.number().gt(0).nullish(),
  logit_bias: z
    .record(
      z.string().regex(/^\d+$/, 'keys must be token ids'),
      z.number().min(-100).max(100),
    )
    .nullish(),
  stream: z.boolean().nullish(),
  stream_options: z
    .strictObject({
      include_usage: z.boolean().nullish(),
      // Padding against side channels over the network; not needed locally.
      include_obfuscation: z.boolean().nullish(),
    })
    .nullish(),
  ttl: z.number().int().positive().optional(),
  n: z.number().int().min(1).max(1, 'only n=1 is supported').nullish(),
  user: z.string().nullish(),
  // Speculative decoding (LM Studio): a model key, or "prompt-lookup".
  draft_model: z.string().min(1).optional(),
  num_draft_tokens: z.number().int().min(1).max(32).optional(),
}

const samplingObject = z.object(samplingFields)
type SamplingFields = z.output<typeof samplingObject>

/** Maps the snake_case request fields to the engine's options. */
export function toGenerateOptions(f: SamplingFields): GenerateOptions {
  const maxTokens = f.max_completion_tokens ?? f.max_tokens
  if (maxTokens === 0) {
    throw new InvalidRequestError(
      "Invalid 'max_tokens': must be at least 1 (or -1 for no limit).",
      'max_tokens',
      'invalid_value',
    )
  }
  const stop =
    typeof f.stop === 'string' ? [f.stop] : f.stop?.filter((s) => s.length > 0)
  const options: GenerateOptions = {
    temperature: f.temperature ?? undefined,
    topP: f.top_p ?? undefined,
    topK: f.top_k == null ? undefined : Math.max(0, f.top_k),
    minP: f.min_p ?? undefined,
    maxTokens: maxTokens ?? undefined,
    stop: stop?.length ? stop : undefined,
    seed: f.seed ?? undefined,
    presencePenalty: f.presence_penalty ?? undefined,
    frequencyPenalty: f.frequency_penalty ?? undefined,
    repetitionPenalty: f.repeat_penalty ?? f.repetition_penalty ?? undefined,
    numDraftTokens: f.draft_model ? f.num_draft_tokens : undefined,
    logitBias: f.logit_bias
      ? Object.fromEntries(
          Object.entries(f.logit_bias).map(([k, v]) => [Number(k), v]),
        )
      : undefined,
  }
  return Object.fromEntries(
    Object.entries(options).filter(([, v]) => v !== undefined),
  ) as GenerateOptions
}
