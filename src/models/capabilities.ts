// What a model can do, as LM Studio clients read it (`capabilities` in
// /api/v0 and /api/v1/models; Zed turns tools off on `[]`): tool use when
// the chat template renders `tools`, vision for VLMs, and reasoning with
// the settings /api/v1/chat's `reasoning` accepts for this template
// (`enable_thinking` toggles it, `reasoning_effort` sets its depth).
import type { ModelType } from '../engine/types.ts'

export type ModelCapabilities = {
  toolUse: boolean
  vision: boolean
  reasoning: { allowedOptions: string[]; default: string } | null
}

export function capabilitiesOf(
  template: string | null,
  type: ModelType,
): ModelCapabilities {
  const t = template ?? ''
  return {
    toolUse: type !== 'embeddings' && /\btools\b/.test(t),
    vision: type === 'vlm',
    reasoning: type === 'embeddings' ? null : reasoningOf(t),
  }
}

function reasoningOf(t: string): ModelCapabilities['reasoning'] {
  const toggles = t.includes('enable_thinking')
  const effort = t.includes('reasoning_effort')
  // A template that opens (DeepSeek-R1) or strips `<think>` blocks reasons.
  const tags = t.includes('<think>') || t.includes('</think>')
  if (!toggles && !effort && !tags && !t.includes('<|channel|>')) return null
  const levels = effort ? ['low', 'medium', 'high'] : []
  if (toggles)
    return { allowedOptions: ['off', ...levels, 'on'], default: 'on' }
  if (effort) return { allowedOptions: levels, default: 'medium' }
  return { allowedOptions: ['on'], default: 'on' }
}
