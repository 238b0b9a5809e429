// Reasoning output: the public surface.

export type { ChatOutputParserOptions } from './chatOutputParser.ts'
export { ChatOutputParser } from './chatOutputParser.ts'
export type { DetectReasoningFormatOptions } from './detectReasoningFormat.ts'
export {
  detectReasoningFormat,
  promptOpensReasoning,
} from './detectReasoningFormat.ts'
export { HarmonyParser, promptHeader } from './harmonyParser.ts'
export type {
  PlanChatOutputParameters,
  PlanChatOutputReturnType,
} from './planChatOutput.ts'
export { planChatOutput } from './planChatOutput.ts'
export type { ReasoningTagEvent } from './reasoningTagParser.ts'
export { ReasoningTagParser } from './reasoningTagParser.ts'
export type {
  ChatOutputEvent,
  ReasoningFormat,
  ReasoningSpan,
  ReasoningTags,
} from './types.ts'
export { THINK_TAGS } from './types.ts'
export { withReasoningPrefix } from './withReasoningPrefix.ts'
