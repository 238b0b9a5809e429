// What a chat generation needs to have its reply split: the reasoning format
// (from the template), whether the rendered prompt already opened the
// reasoning block, and for Harmony the special tokens to keep in the text and
// the extra stop token. Shared by the server and act().
import {
  detectReasoningFormat,
  promptOpensReasoning,
} from './detectReasoningFormat.ts'
import {
  HARMONY_STOP_TOKENS,
  HARMONY_TOKENS,
  promptHeader,
} from './harmonyParser.ts'
import type { ReasoningFormat, ReasoningTags } from './types.ts'

export type PlanChatOutputParameters = {
  templateSource: string
  /** Renders the prompt (only called when the template may open a block). */
  renderPrompt: () => string
  /** Configured tags (default: detected from the template). */
  tags?: ReasoningTags
  /** false: leave reasoning in the content (llama.cpp's reasoning_format none). */
  parse?: boolean
}

export type PlanChatOutputReturnType = {
  reasoning: ReasoningFormat | undefined
  startInReasoning: boolean
  /** Harmony: the header of the message the prompt opened, if any. */
  openHeader?: string
  /** GenerateOptions.keepSpecialTokens / stopTokens, when the format needs them. */
  keepSpecialTokens?: string[]
  stopTokens?: string[]
}

export function planChatOutput(
  p: PlanChatOutputParameters,
): PlanChatOutputReturnType {
  const detected = detectReasoningFormat(p.templateSource, { tags: p.tags })
  // Harmony's structure is in special tokens: keep them in the text (also
  // when not parsed), and stop at <|call|> as well as <|return|>.
  const harmony =
    detected.kind === 'harmony'
      ? {
          keepSpecialTokens: HARMONY_TOKENS,
          stopTokens: HARMONY_STOP_TOKENS,
          openHeader: promptHeader(p.renderPrompt()),
        }
      : {}
  const reasoning = p.parse === false ? undefined : detected
  const startInReasoning =
    reasoning?.kind === 'tags' &&
    p.templateSource.includes(reasoning.tags.open) &&
    promptOpensReasoning(p.renderPrompt(), reasoning.tags)
  return { reasoning, startInReasoning, ...harmony }
}
