// Reasoning controls of a chat request: OpenAI's `reasoning_effort`, the
// `chat_template_kwargs` vLLM / llama.cpp / SGLang accept (Qwen3's
// `enable_thinking`, ...), and llama.cpp's `reasoning_format` ("none" keeps
// the thinking inside `content`). The first two become chat-template
// variables; what a template does with them is up to the model.
import { z } from 'zod'
import { InvalidRequestError } from '../errors.ts'

export const REASONING_EFFORTS = [
  'none',
  'minimal',
  'low',
  'medium',
  'high',
  'xhigh',
] as const

export type ReasoningEffort = (typeof REASONING_EFFORTS)[number]

export const reasoningFields = {
  reasoning_effort: z.enum(REASONING_EFFORTS).nullish(),
  chat_template_kwargs: z.record(z.string(), z.unknown()).nullish(),
  reasoning_format: z.enum(['auto', 'deepseek', 'none']).nullish(),
}

// Variables the server itself sets; a kwarg may not replace them.
const RESERVED = ['messages', 'tools', 'bos_token', 'eos_token']

/**
 * Template variables for a request, or undefined when it sets none.
 * `reasoning_effort: "none"` also turns `enable_thinking` off (Qwen3-style
 * templates), unless the kwargs say otherwise.
 */
export function toTemplateContext(f: {
  reasoning_effort?: ReasoningEffort | null
  chat_template_kwargs?: Record<string, unknown> | null
}): Record<string, unknown> | undefined {
  const kwargs = f.chat_template_kwargs ?? {}
  for (const key of RESERVED)
    if (key in kwargs)
      throw new InvalidRequestError(
        `Invalid 'chat_template_kwargs.${key}': set by the server, it cannot be overridden.`,
        `chat_template_kwargs.${key}`,
        'invalid_value',
      )
  const out: Record<string, unknown> = {}
  if (f.reasoning_effort) {
    out.reasoning_effort = f.reasoning_effort
    if (f.reasoning_effort === 'none') out.enable_thinking = false
  }
  Object.assign(out, kwargs)
  return Object.keys(out).length > 0 ? out : undefined
}
