// Structured output and tool calling: the public surface.
export { act } from './act.ts'
export type { ActOptions, ActReturnType, ActRound, ActTool } from './act.ts'
export { checkJsonSchema } from './checkJsonSchema.ts'
export { InvalidSchemaError, StructuredOutputError } from './errors.ts'
export { respond } from './respond.ts'
export type { RespondOptions, RespondReturnType } from './respond.ts'
export { jsonSchemaGrammar, responseFormatToGrammar } from './responseFormat.ts'
export { toGenerateGrammar } from './toGenerateGrammar.ts'
export type { GenerateGrammarBody, GenerateGrammarReturnType } from './toGenerateGrammar.ts'
export { toolCallDelta } from './toolCallDelta.ts'
export type { ToolCallDelta } from './toolCallDelta.ts'
export { ToolCallParser, newToolCallId } from './toolCallParser.ts'
export type { ToolCallEvent } from './toolCallParser.ts'
export { TOOL_FORMATS, detectToolCallFormat } from './toolFormats.ts'
export { callSchema, selectTools, toolGrammar } from './toolGrammar.ts'
export { formatToolCalls, prepareToolChat } from './toolPrompt.ts'
export type {
  Grammar,
  GrammarKind,
  JsonSchema,
  ParsedToolCall,
  ResponseFormat,
  ToolCallFormat,
  ToolChoice,
  ToolDefinition,
} from './types.ts'
