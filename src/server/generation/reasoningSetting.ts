// LM Studio's `reasoning` setting of /api/v1/chat ("off" | "low" | "medium"
// | "high" | "on") -> chat-template variables, from what the model's
// template can do: `enable_thinking` switches thinking on and off (Qwen3),
// `reasoning_effort` sets its depth (gpt-oss). A setting the model cannot
// follow is a 400, as LM Studio answers.
import { InvalidRequestError } from '../errors.ts'

export type ReasoningSetting = 'off' | 'low' | 'medium' | 'high' | 'on'

export function reasoningSettingContext(
  setting: ReasoningSetting,
  templateSource: string,
): Record<string, unknown> {
  const toggles = templateSource.includes('enable_thinking')
  const effort = templateSource.includes('reasoning_effort')
  const reasons =
    toggles ||
    effort ||
    templateSource.includes('</think>') ||
    templateSource.includes('<|channel|>')
  const fail = (why: string) =>
    new InvalidRequestError(
      `Invalid 'reasoning': ${why}`,
      'reasoning',
      'unsupported_value',
    )
  if (!reasons) throw fail('this model does not reason.')
  if (setting === 'on') return toggles ? { enable_thinking: true } : {}
  if (setting === 'off') {
    if (toggles) return { enable_thinking: false }
    throw fail('this model cannot turn its reasoning off.')
  }
  if (effort) return { reasoning_effort: setting }
  if (toggles) return { enable_thinking: true, reasoning_effort: setting }
  throw fail(`this model has no reasoning effort setting; use "on".`)
}
