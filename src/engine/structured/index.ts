// Structured output and tool calling: the public surface.

export type { ActOptions, ActReturnType, ActRound, ActTool } from './act.ts'
export { act } from './act.ts'
export { checkJsonSchema } from './checkJsonSchema.ts'
export { InvalidSchemaError, StructuredOutputError } from './errors.ts'
export type { RespondOptions, RespondReturnType } from './respond.ts'
export { respond } from './respond.ts'
export { jsonSchemaGrammar, responseFormatToGrammar } from './responseFormat.ts'
export type {
  GenerateGrammarBody,
  GenerateGrammarReturnType,
} from './toGenerateGrammar.ts'
export { toGenerateGrammar } from './toGenerateGrammar.ts'
export type { ToolCallDelta } from './toolCallDelta.ts'
export { toolCallDelta } from './toolCallDelta.ts'
export type { ToolCallEvent } from './toolCallParser.ts'
export { newToolCallId, ToolCallParser } from './toolCallParser.ts'
export { detectToolCallFormat, TOOL_FORMATS } from './toolFormats.ts'
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
