// Applies a request's response_format / tools to the model that will run it:
// the grammar, the chat with tools rendered (natively or through a system
// prompt), the template variables, and the tool-call format the output must
// be parsed with. Past assistant tool calls are written back in the model's
// own call format when its template cannot render `tool_calls`.
import { toGenerateGrammar } from '../../engine/structured/toGenerateGrammar.ts'
import { detectToolCallFormat } from '../../engine/structured/toolFormats.ts'
import { prepareToolChat } from '../../engine/structured/toolPrompt.ts'
import type { ToolCallFormat } from '../../engine/structured/types.ts'
import type { ChatMessage, GenerateOptions } from '../../engine/types.ts'
import type { EngineModel } from '../../models/types.ts'
import type { GenerationRequest } from './types.ts'

export type PlannedGeneration = {
  input: string | ChatMessage[]
  options: GenerateOptions
  /** Set when the output holds tool calls to split from the content. */
  toolCallFormat: ToolCallFormat | undefined
}

const hasToolCalls = (messages: ChatMessage[]) =>
  messages.some((m) => m.role === 'assistant' && m.tool_calls?.length)

export function planGeneration(
  model: EngineModel,
  request: GenerationRequest,
): PlannedGeneration {
  const { input, options, structured } = request
  if (typeof input === 'string')
    return { input, options, toolCallFormat: undefined }
  const templateSource = model.template?.source ?? ''
  const architecture = model.info.architecture ?? undefined
  const plan = structured
    ? toGenerateGrammar(
        { ...structured, messages: input },
        {
          templateSource,
          architecture,
        },
      )
    : undefined
  let messages = plan?.messages ?? input
  if (!plan?.toolCallFormat && hasToolCalls(messages))
    messages = prepareToolChat({
      messages,
      tools: [],
      format: detectToolCallFormat(templateSource, architecture),
      templateSource,
    }).messages
  if (!plan) return { input: messages, options, toolCallFormat: undefined }
  const templateContext = {
    ...options.templateContext,
    ...plan.templateContext,
  }
  const planned: GenerateOptions = { ...options }
  if (plan.grammar) planned.grammar = plan.grammar
  if (Object.keys(templateContext).length > 0)
    planned.templateContext = templateContext
  return {
    input: messages,
    options: planned,
    toolCallFormat: plan.toolCallFormat,
  }
}
