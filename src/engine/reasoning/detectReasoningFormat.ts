// Picks how a model writes its reasoning from its chat template: Harmony
// for gpt-oss (`<|channel|>`), otherwise the first known tag pair the
// template mentions, otherwise `<think>`/`</think>` (harmless for models that
// never think: only a block at the very start of a reply is parsed).
import {
  type ReasoningFormat,
  type ReasoningTags,
  THINK_TAGS,
} from './types.ts'

const KNOWN_TAGS: ReasoningTags[] = [
  THINK_TAGS,
  { open: '<seed:think>', close: '</seed:think>' }, // ByteDance Seed-OSS
  { open: '[THINK]', close: '[/THINK]' }, // Magistral
  { open: '<thinking>', close: '</thinking>' },
]

export type DetectReasoningFormatOptions = {
  /** Tags to use instead of detecting them (server/CLI configuration). */
  tags?: ReasoningTags
}

export function detectReasoningFormat(
  templateSource: string,
  options: DetectReasoningFormatOptions = {},
): ReasoningFormat {
  if (templateSource.includes('<|channel|>')) return { kind: 'harmony' }
  if (options.tags) return { kind: 'tags', tags: options.tags }
  const tags =
    KNOWN_TAGS.find((t) => templateSource.includes(t.close)) ?? THINK_TAGS
  return { kind: 'tags', tags }
}

/**
 * True when a rendered prompt ends inside an open reasoning block (the
 * template wrote the open tag for the model, as DeepSeek-R1's does), so the
 * reply starts as reasoning. Qwen3's `enable_thinking=false` writes an empty
 * closed block instead: not inside.
 */
export function promptOpensReasoning(
  prompt: string,
  tags: ReasoningTags,
): boolean {
  const open = prompt.lastIndexOf(tags.open)
  return open >= 0 && prompt.indexOf(tags.close, open) < 0
}
