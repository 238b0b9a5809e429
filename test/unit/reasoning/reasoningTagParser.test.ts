// ReasoningTagParser: <think> blocks split out of replies fed in any
// chunking, tags cut across chunks, prompts that already opened the block,
// unterminated and nested blocks, custom tags, and replies with no reasoning.
import { describe, expect, it } from 'vitest'
import {
  type ReasoningTagEvent,
  ReasoningTagParser,
} from '../../../src/engine/reasoning/reasoningTagParser.ts'
import {
  type ReasoningTags,
  THINK_TAGS,
} from '../../../src/engine/reasoning/types.ts'

type Options = { startInside?: boolean; tags?: ReasoningTags }

function feed(pieces: string[], o: Options = {}) {
  const p = new ReasoningTagParser(o.tags ?? THINK_TAGS, o)
  const events: ReasoningTagEvent[] = []
  for (const piece of pieces) events.push(...p.push(piece))
  events.push(...p.flush())
  const join = (type: string) =>
    events
      .filter((e) => e.type === type)
      .map((e) => e.text)
      .join('')
  return { reasoning: join('reasoning'), content: join('content'), p }
}

// Every chunking of `text` into steps of `step` chars, plus every 2-way split.
function chunkings(text: string): string[][] {
  const out: string[][] = []
  for (const step of [1, 2, 3, 5, 7, text.length]) {
    const pieces = []
    for (let i = 0; i < text.length; i += step)
      pieces.push(text.slice(i, i + step))
    out.push(pieces)
  }
  for (let i = 1; i < text.length; i++)
    out.push([text.slice(0, i), text.slice(i)])
  return out
}

const cases: [string, string, Options, string, string][] = [
  ['no reasoning', 'Hello, world.\n', {}, '', 'Hello, world.\n'],
  [
    'a leading block (Qwen3 style)',
    '<think>\nThe user greets me.\n</think>\n\nHello!',
    {},
    'The user greets me.',
    'Hello!',
  ],
  ['blanks before the open tag', '\n\n<think>a</think>b', {}, 'a', 'b'],
  [
    'the prompt opened the block (DeepSeek-R1 style)',
    'Let me think.\n</think>\n\nParis.',
    { startInside: true },
    'Let me think.',
    'Paris.',
  ],
  [
    'the reply repeats the open tag the prompt wrote',
    '<think>\nok\n</think>done',
    { startInside: true },
    'ok',
    'done',
  ],
  [
    'unterminated block (cut by max_tokens)',
    '<think>\nStill thinking about </th',
    {},
    'Still thinking about </th',
    '',
  ],
  [
    'nested open tag: text; the first close ends the block',
    '<think>a <think> b</think>c</think>d',
    {},
    'a <think> b',
    'c</think>d',
  ],
  [
    'a tag in the middle of an answer is content',
    'Use <think>x</think> tags.',
    {},
    '',
    'Use <think>x</think> tags.',
  ],
  [
    'a false start is content',
    '<thing> is not a tag',
    {},
    '',
    '<thing> is not a tag',
  ],
  [
    'an empty block (thinking disabled)',
    '<think>\n\n</think>\n\nHi',
    {},
    '',
    'Hi',
  ],
  [
    'custom tags',
    '[THINK]plan[/THINK]answer',
    { tags: { open: '[THINK]', close: '[/THINK]' } },
    'plan',
    'answer',
  ],
  ['only blanks', '  \n', {}, '', '  \n'],
]

describe('ReasoningTagParser', () => {
  for (const [name, text, options, reasoning, content] of cases)
    it(`${name}: same split for every chunking`, () => {
      for (const pieces of chunkings(text)) {
        const r = feed(pieces, options)
        expect({ pieces, reasoning: r.reasoning, content: r.content }).toEqual({
          pieces,
          reasoning,
          content,
        })
      }
    })

  it('streams reasoning before the close tag arrives', () => {
    const p = new ReasoningTagParser(THINK_TAGS)
    expect(p.push('<think>')).toEqual([])
    expect(p.push('Step one')).toEqual([
      { type: 'reasoning', text: 'Step one' },
    ])
    // A possible start of the close tag is held back, then released as text.
    expect(p.push(' </th')).toEqual([])
    expect(p.push('e end')).toEqual([{ type: 'reasoning', text: ' </the end' }])
    expect(p.inReasoning).toBe(true)
    expect(p.push('</think>Answer')).toEqual([
      { type: 'content', text: 'Answer' },
    ])
    expect(p.inReasoning).toBe(false)
  })

  it('records the raw span of the block, tags included', () => {
    const { p } = feed(['xx<think>ab</think>cd'])
    expect(p.spans).toEqual([])
    const r = feed(['  <think>ab</think>cd'])
    expect(r.p.spans).toEqual([{ start: 0, end: 19 }])
    const open = feed(['<think>ab'])
    expect(open.p.spans).toEqual([{ start: 0, end: Infinity }])
  })

  it('rejects empty tags', () => {
    expect(() => new ReasoningTagParser({ open: '', close: 'x' })).toThrow(
      /tags/,
    )
  })
})
