// The prompt tokens a request will cost on a loaded model, with everything
// planGeneration folds into the prompt (tools, template variables). For
// count_tokens endpoints and for usage reported before generation ends.
// VLM images count as their placeholder tokens only.
import type { EngineModel } from '../../models/types.ts'
import { type PlanSettings, planGeneration } from './structured.ts'
import type { GenerationRequest } from './types.ts'

export function countPromptTokens(
  model: EngineModel,
  request: GenerationRequest,
  settings: PlanSettings = {},
): number {
  const { input, options } = planGeneration(model, request, settings)
  if (typeof input === 'string' && options.raw)
    return model.tokenize(input).length
  const messages =
    typeof input === 'string'
      ? [{ role: 'user' as const, content: input }]
      : input
  if (model.promptTokens) return model.promptTokens(messages, options).length
  return model.tokenize(
    model.applyChatTemplate(messages, { extra: options.templateContext }),
  ).length
}
