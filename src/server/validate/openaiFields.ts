// OpenAI request fields that are not generation knobs. Bookkeeping fields
// (`metadata`, `store`, `service_tier`, ...) are accepted and have no effect
// on a local server; fields that would change the answer in ways this server
// cannot honour (`audio`, `functions`, `prediction`, ...) are a 400 naming
// them, unless they carry their "off" value (null, `modalities: ["text"]`).
import { z } from 'zod'
import { InvalidRequestError } from '../errors.ts'

/** Chat completion fields with nothing to do locally (`user` is shared, in sampling.ts). */
export const bookkeepingFields = {
  metadata: z.record(z.string(), z.string()).nullish(),
  store: z.boolean().nullish(),
  service_tier: z.string().nullish(),
  safety_identifier: z.string().nullish(),
  prompt_cache_key: z.string().nullish(),
  prompt_cache_retention: z.string().nullish(),
}

/** Chat completion fields OpenAI knows and this server does not implement. */
export const unsupportedChatFields = {
  audio: z.unknown().optional(),
  modalities: z.array(z.string()).nullish(),
  functions: z.unknown().optional(),
  function_call: z.unknown().optional(),
  prediction: z.unknown().optional(),
  web_search_options: z.unknown().optional(),
  verbosity: z.unknown().optional(),
}

const why: Record<keyof typeof unsupportedChatFields, string> = {
  audio: 'audio output is not supported',
  modalities: 'only ["text"] is supported',
  functions: "the legacy 'functions' API is not supported; use 'tools'",
  function_call:
    "the legacy 'function_call' API is not supported; use 'tool_choice'",
  prediction: 'predicted outputs are not supported',
  web_search_options: 'web search is not supported',
  verbosity: 'not supported by local models',
}

/** Throws a 400 naming the first unsupported field that asks for something. */
export function rejectUnsupported(
  body: Partial<Record<keyof typeof unsupportedChatFields, unknown>>,
): void {
  for (const key of Object.keys(why) as (keyof typeof why)[]) {
    const v = body[key]
    if (v == null) continue
    if (
      key === 'modalities' &&
      Array.isArray(v) &&
      v.every((m) => m === 'text')
    )
      continue
    throw new InvalidRequestError(
      `Unsupported parameter: '${key}': ${why[key]}.`,
      key,
      'unsupported_parameter',
    )
  }
}
