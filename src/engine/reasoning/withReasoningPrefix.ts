// Lets a reasoning model think before a grammar applies. A grammar from the
// first token would forbid the reasoning block: DeepSeek-R1's reply starts
// inside `<think>` (the prompt opened it), Qwen3 opens one itself. The
// grammar becomes a Lark grammar (llguidance dialect) whose start is free
// text up to the close tag, then the original grammar — required when the
// prompt opened the block, optional when the model may open one.
import type { Grammar } from '../structured/types.ts'
import type { ReasoningTags } from './types.ts'

const lit = (s: string) => JSON.stringify(s)
const regexEscape = (s: string) =>
  s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&').replaceAll('\n', '\\n')

/**
 * `grammar` with a reasoning block in front, or `grammar` unchanged when its
 * kind cannot be wrapped (regex, llguidance).
 */
export function withReasoningPrefix(
  grammar: Grammar,
  tags: ReasoningTags,
  opened: boolean,
): Grammar {
  let body: string
  if (grammar.kind === 'json_schema') body = `answer: %json ${grammar.text}`
  else if (grammar.kind === 'lark' && /^start\s*:/m.test(grammar.text))
    body = grammar.text.replace(/^start(\s*):/m, 'answer$1:')
  else return grammar
  // Lazy: the block ends at the first close tag, as the parser reads it.
  const think = `think[lazy]: /(.|\\n)*${regexEscape(tags.close)}/`
  const after = 'reasoned: think answer | think BLANKS answer'
  const start = opened
    ? 'start: reasoned'
    : `start: answer | ${lit(tags.open)} reasoned`
  return {
    kind: 'lark',
    text: [start, after, think, 'BLANKS: /[ \\t\\r\\n]+/', body, ''].join('\n'),
  }
}
