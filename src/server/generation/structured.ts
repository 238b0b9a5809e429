// Applies a chat request to the model that will run it: the grammar of its
// response_format / tools, the chat with tools rendered (natively or through
// a system prompt), the template variables, and how to read the reply — the
// reasoning format (`<think>` tags or Harmony, and whether the prompt already
// opened the block) and the tool-call format. Past assistant tool calls are
// written back in the model's own call format when its template cannot
// render `tool_calls`.

import type { ChatOutputParserOptions } from '../../engine/reasoning/chatOutputParser.ts'
import { planChatOutput } from '../../engine/reasoning/planChatOutput.ts'
import type { ReasoningTags } from '../../engine/reasoning/types.ts'
import { withReasoningPrefix } from '../../engine/reasoning/withReasoningPrefix.ts'
import { toGenerateGrammar } from '../../engine/structured/toGenerateGrammar.ts'
import { detectToolCallFormat } from '../../engine/structured/toolFormats.ts'
import { prepareToolChat } from '../../engine/structured/toolPrompt.ts'
import type { ChatMessage, GenerateOptions } from '../../engine/types.ts'
import type { EngineModel } from '../../models/types.ts'
import { reasoningSettingContext } from './reasoningSetting.ts'
import type { GenerationRequest } from './types.ts'

export type PlannedGeneration = {
  input: string | ChatMessage[]
  options: GenerateOptions
  /** How to split the reply (chat only). */
  output: ChatOutputParserOptions
}

export type PlanSettings = {
  /** Reasoning tags to parse instead of detecting them from the template. */
  reasoningTags?: ReasoningTags
}

const needsToolHistory = (messages: ChatMessage[]) =>
  messages.some(
    (m) =>
      m.role === 'tool' || (m.role === 'assistant' && m.tool_calls?.length),
  )

export function planGeneration(
  model: EngineModel,
  request: GenerationRequest,
  settings: PlanSettings = {},
): PlannedGeneration {
  const { input, options, structured } = request
  if (typeof input === 'string') return { input, options, output: {} }
  const templateSource = model.template?.source ?? ''
  const architecture = model.info.architecture ?? undefined
  const plan = structured
    ? toGenerateGrammar(
        { ...structured, messages: input },
        { templateSource, architecture },
      )
    : undefined
  let messages = plan?.messages ?? input
  if (!plan?.toolCallFormat && needsToolHistory(messages))
    messages = prepareToolChat({
      messages,
      tools: [],
      format: detectToolCallFormat(templateSource, architecture),
      templateSource,
    }).messages
  const planned: GenerateOptions = { ...options }
  const templateContext = {
    ...(request.reasoningSetting
      ? reasoningSettingContext(request.reasoningSetting, templateSource)
      : {}),
    ...options.templateContext,
    ...plan?.templateContext,
  }
  if (plan?.grammar) planned.grammar = plan.grammar
  if (Object.keys(templateContext).length > 0)
    planned.templateContext = templateContext
  const chat = planChatOutput({
    templateSource,
    renderPrompt: () =>
      model.applyChatTemplate(messages, { extra: planned.templateContext }),
    tags: settings.reasoningTags,
    parse: request.parseReasoning,
  })
  // A reasoning model thinks first; the grammar applies after the block.
  if (
    planned.grammar &&
    chat.reasoning?.kind === 'tags' &&
    (chat.startInReasoning || templateSource.includes(chat.reasoning.tags.open))
  )
    planned.grammar = withReasoningPrefix(
      planned.grammar,
      chat.reasoning.tags,
      chat.startInReasoning,
    )
  if (chat.keepSpecialTokens) planned.keepSpecialTokens = chat.keepSpecialTokens
  if (chat.stopTokens) planned.stopTokens = chat.stopTokens
  return {
    input: messages,
    options: planned,
    output: {
      reasoning: chat.reasoning,
      startInReasoning: chat.startInReasoning,
      openHeader: chat.openHeader,
      toolCallFormat: plan?.toolCallFormat,
    },
  }
}
