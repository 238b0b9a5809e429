// HarmonyParser: gpt-oss replies (analysis / final / commentary channels,
// function calls with the recipient before or after the channel) split into
// reasoning, content and tool calls for every chunking of the text.
import { describe, expect, it } from 'vitest'
import {
  HarmonyParser,
  promptHeader,
} from '../../../src/engine/reasoning/harmonyParser.ts'
import type { ChatOutputEvent } from '../../../src/engine/reasoning/types.ts'

function feed(pieces: string[], toolCalls = true) {
  let n = 0
  const p = new HarmonyParser({ toolCalls, newId: () => `call_${n++}` })
  const events: ChatOutputEvent[] = []
  for (const piece of pieces) events.push(...p.push(piece))
  events.push(...p.flush())
  const join = (type: string) =>
    events
      .filter((e) => e.type === type)
      .map((e) => (e as { text: string }).text)
      .join('')
  // Calls rebuilt from the streamed events, as a client would.
  const streamed: { id: string; name: string; arguments: string }[] = []
  for (const e of events) {
    if (e.type === 'toolCallStart')
      streamed[e.index] = { id: e.id, name: e.name, arguments: '' }
    if (e.type === 'toolCallArguments')
      (streamed[e.index] as { arguments: string }).arguments += e.fragment
  }
  return {
    reasoning: join('reasoning'),
    content: join('content'),
    calls: p.calls,
    streamed,
    p,
  }
}

function chunkings(text: string): string[][] {
  const out: string[][] = [[text]]
  for (const step of [1, 2, 3, 5, 11]) {
    const pieces = []
    for (let i = 0; i < text.length; i += step)
      pieces.push(text.slice(i, i + step))
    out.push(pieces)
  }
  for (let i = 1; i < text.length; i++)
    out.push([text.slice(0, i), text.slice(i)])
  return out
}

const analysis =
  '<|channel|>analysis<|message|>User wants weather. Use tool.<|end|>'
const cases: [
  string,
  string,
  string,
  string,
  { name: string; arguments: string }[],
][] = [
  [
    'analysis then final',
    `${analysis}<|start|>assistant<|channel|>final<|message|>It is sunny.`,
    'User wants weather. Use tool.',
    'It is sunny.',
    [],
  ],
  [
    'analysis then a function call (recipient after the channel)',
    `${analysis}<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city":"Paris"}`,
    'User wants weather. Use tool.',
    '',
    [{ name: 'get_weather', arguments: '{"city":"Paris"}' }],
  ],
  [
    'recipient before the channel, with the end token kept',
    '<|start|>assistant to=functions.add<|channel|>commentary json<|message|>{"a": 1, "b": 2}<|call|>',
    '',
    '',
    [{ name: 'add', arguments: '{"a": 1, "b": 2}' }],
  ],
  [
    'a commentary preamble is content',
    '<|channel|>commentary<|message|>Checking now.<|end|><|start|>assistant<|channel|>commentary to=functions.f<|message|>{}<|call|>',
    '',
    'Checking now.',
    [{ name: 'f', arguments: '{}' }],
  ],
  [
    'unterminated analysis (cut by max_tokens) is all reasoning',
    '<|channel|>analysis<|message|>Hmm, let me',
    'Hmm, let me',
    '',
    [],
  ],
  [
    'no Harmony markers at all: content',
    'Plain answer.',
    '',
    'Plain answer.',
    [],
  ],
  [
    'a built-in tool (browser) is not a function call: reasoning',
    '<|channel|>analysis to=browser.search<|message|>{"query":"x"}<|call|>',
    '{"query":"x"}',
    '',
    [],
  ],
]

describe('HarmonyParser', () => {
  for (const [name, text, reasoning, content, calls] of cases)
    it(`${name}: same split for every chunking`, () => {
      for (const pieces of chunkings(text)) {
        const r = feed(pieces)
        expect({
          pieces,
          reasoning: r.reasoning,
          content: r.content,
          calls: r.calls.map(({ name, arguments: a }) => ({
            name,
            arguments: a,
          })),
        }).toEqual({ pieces, reasoning, content, calls })
        expect(r.streamed).toEqual(r.calls)
      }
    })

  it('without tools a function call is kept out of the content', () => {
    const r = feed(
      [
        '<|channel|>commentary to=functions.f <|constrain|>json<|message|>{"x":1}<|call|>',
      ],
      false,
    )
    expect(r.calls).toEqual([])
    expect(r.content).toBe('')
    expect(r.reasoning).toBe('{"x":1}')
  })

  it('streams the call name before its arguments', () => {
    const p = new HarmonyParser({ newId: () => 'call_0' })
    expect(
      p.push(
        '<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>',
      ),
    ).toEqual([
      { type: 'toolCallStart', index: 0, id: 'call_0', name: 'get_weather' },
    ])
    expect(p.push('{"city":')).toEqual([
      { type: 'toolCallArguments', index: 0, fragment: '{"city":' },
    ])
  })

  it('spans cover the analysis messages, headers included', () => {
    const text = `${analysis}<|start|>assistant<|channel|>final<|message|>Hi`
    const { p } = feed([text])
    expect(p.spans).toEqual([{ start: 0, end: analysis.length }])
  })
})

describe('a prompt that opens the message itself', () => {
  it('promptHeader reads the open header, or none', () => {
    expect(
      promptHeader('<|start|>user<|message|>Hi<|end|><|start|>assistant'),
    ).toBeUndefined()
    expect(
      promptHeader(
        '<|start|>user<|message|>Hi<|end|><|start|>assistant<|channel|>final<|message|>',
      ),
    ).toBe('assistant<|channel|>final')
    expect(
      promptHeader('<|start|>assistant<|channel|>final<|message|>Hi<|end|>'),
    ).toBeUndefined()
  })

  it('the reply starts in the opened channel', () => {
    const final = new HarmonyParser({ openHeader: 'assistant<|channel|>final' })
    expect([...final.push('Hello'), ...final.flush()]).toEqual([
      { type: 'content', text: 'Hello' },
    ])
    const analysis = new HarmonyParser({
      openHeader: 'assistant<|channel|>analysis',
    })
    expect([
      ...analysis.push(
        'Hmm.<|end|><|start|>assistant<|channel|>final<|message|>Hi',
      ),
      ...analysis.flush(),
    ]).toEqual([
      { type: 'reasoning', text: 'Hmm.' },
      { type: 'content', text: 'Hi' },
    ])
    expect(analysis.spans).toEqual([{ start: 0, end: 11 }])
  })
})
