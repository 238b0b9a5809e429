// The server's entry point: an OpenAI chat request's response_format, tools,
// tool_choice and parallel_tool_calls -> what to pass to Model.generate
// (grammar, chat with tools rendered) and how to read the output (tool-call
// format). Throws InvalidSchemaError (-> HTTP 400) naming where and why.
import type { ChatMessage } from '../types.ts'
import { InvalidSchemaError } from './errors.ts'
import { responseFormatToGrammar } from './responseFormat.ts'
import { detectToolCallFormat } from './toolFormats.ts'
import { selectTools, toolGrammar } from './toolGrammar.ts'
import { prepareToolChat } from './toolPrompt.ts'
import type {
  Grammar,
  ResponseFormat,
  ToolCallFormat,
  ToolChoice,
  ToolDefinition,
} from './types.ts'

export type GenerateGrammarBody = {
  messages: ChatMessage[]
  response_format?: ResponseFormat
  tools?: ToolDefinition[]
  tool_choice?: ToolChoice
  parallel_tool_calls?: boolean
}

export type GenerateGrammarModel = {
  templateSource: string
  architecture?: string
}

export type GenerateGrammarReturnType = {
  /** For GenerateOptions.grammar (undefined = unconstrained). */
  grammar: Grammar | undefined
  /** The chat to render (tools folded in when the template cannot). */
  messages: ChatMessage[]
  /** For GenerateOptions.templateContext. */
  templateContext: Record<string, unknown>
  /** Set when the output must go through ToolCallParser(format). */
  toolCallFormat: ToolCallFormat | undefined
}

export function toGenerateGrammar(
  body: GenerateGrammarBody,
  model: GenerateGrammarModel,
): GenerateGrammarReturnType {
  const content = responseFormatToGrammar(body.response_format)
  const tools = body.tools ?? []
  const choice = body.tool_choice ?? 'auto'
  if (content && model.templateSource.includes('<|channel|>'))
    throw new InvalidSchemaError(
      'response_format',
      '',
      'is not supported for gpt-oss (Harmony) models yet: a grammar from the first token would forbid their analysis channel',
    )
  if (tools.length === 0) {
    if (choice !== 'none' && choice !== 'auto') selectTools([], choice) // names the bad tool_choice
    return {
      grammar: content,
      messages: body.messages,
      templateContext: {},
      toolCallFormat: undefined,
    }
  }
  const format = detectToolCallFormat(model.templateSource, model.architecture)
  selectTools(tools, choice)
  if (format === 'harmony') return harmonyPlan(body, model, content, choice)
  if (choice === 'none')
    return {
      grammar: content,
      messages: body.messages,
      templateContext: {},
      toolCallFormat: undefined,
    }
  const prepared = prepareToolChat({
    messages: body.messages,
    tools,
    format,
    templateSource: model.templateSource,
  })
  const grammar = toolGrammar({
    tools,
    toolChoice: choice,
    format,
    parallelToolCalls: body.parallel_tool_calls,
    content,
  })
  return {
    grammar,
    messages: prepared.messages,
    templateContext: prepared.templateContext,
    toolCallFormat: format,
  }
}

// gpt-oss renders tools itself and writes calls in its Harmony headers; the
// reply is parsed, not constrained (a grammar would have to span channels),
// so only tool_choice "auto" and "none" can be honoured.
function harmonyPlan(
  body: GenerateGrammarBody,
  model: GenerateGrammarModel,
  content: Grammar | undefined,
  choice: ToolChoice,
): GenerateGrammarReturnType {
  if (choice !== 'auto' && choice !== 'none')
    throw new InvalidSchemaError(
      'tool_choice',
      '',
      'only "auto" and "none" are supported for gpt-oss (Harmony) models',
    )
  if (choice === 'none')
    return {
      grammar: content,
      messages: body.messages,
      templateContext: {},
      toolCallFormat: undefined,
    }
  const prepared = prepareToolChat({
    messages: body.messages,
    tools: body.tools ?? [],
    format: 'harmony',
    templateSource: model.templateSource,
  })
  return {
    grammar: undefined,
    messages: prepared.messages,
    templateContext: prepared.templateContext,
    toolCallFormat: 'harmony',
  }
}
