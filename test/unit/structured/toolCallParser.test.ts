import { describe, expect, it } from 'vitest'
import {
  type ToolCallEvent,
  ToolCallParser,
} from '../../../src/engine/structured/toolCallParser.ts'
import type { ToolCallFormat } from '../../../src/engine/structured/types.ts'

// Feeds `text` in pieces of `step` characters; returns content, calls and events.
function run(format: ToolCallFormat, text: string, step = 1) {
  let n = 0
  const p = new ToolCallParser(format, { newId: () => `call_${n++}` })
  const events: ToolCallEvent[] = []
  for (let i = 0; i < text.length; i += step)
    events.push(...p.push(text.slice(i, i + step)))
  events.push(...p.flush())
  const content = events
    .filter((e) => e.type === 'content')
    .map((e) => (e as { text: string }).text)
    .join('')
  return { content, calls: p.calls, events }
}

// Rebuilds calls from streamed events the way an OpenAI client does.
function fromDeltas(events: ToolCallEvent[]) {
  const calls: { id: string; name: string; arguments: string }[] = []
  for (const e of events) {
    if (e.type === 'toolCallStart')
      calls[e.index] = { id: e.id, name: e.name, arguments: '' }
    if (e.type === 'toolCallArguments')
      (calls[e.index] as { arguments: string }).arguments += e.fragment
  }
  return calls
}

const weather =
  '{"name": "get_weather", "arguments": {"city": "Paris", "tags": ["a", "}"]}}'
const add = '{"name": "add", "arguments": {"a": 1, "b": 2}}'

const cases: [ToolCallFormat, string, string][] = [
  [
    'hermes',
    `Let me check.\n<tool_call>\n${weather}\n</tool_call>\n<tool_call>\n${add}\n</tool_call>`,
    'Let me check.\n',
  ],
  ['smollm2', `<tool_call>[${weather}, ${add}]</tool_call>`, ''],
  ['mistral', `[TOOL_CALLS][${weather}, ${add}]`, ''],
  [
    'llama3',
    `${weather.replace('arguments', 'parameters')}; ${add.replace('arguments', 'parameters')}`,
    '',
  ],
  [
    'generic',
    `OK [TOOL_REQUEST]${weather}[END_TOOL_REQUEST]\n[TOOL_REQUEST]${add}[END_TOOL_REQUEST]`,
    'OK ',
  ],
]

describe('ToolCallParser', () => {
  for (const [format, text, content] of cases)
    for (const step of [1, 3, 1000])
      it(`${format}: splits content and two calls (chunks of ${step})`, () => {
        const r = run(format, text, step)
        expect(r.content).toBe(content)
        expect(r.calls.map((c) => c.name)).toEqual(['get_weather', 'add'])
        expect(JSON.parse(r.calls[0]?.arguments ?? '')).toEqual({
          city: 'Paris',
          tags: ['a', '}'],
        })
        expect(JSON.parse(r.calls[1]?.arguments ?? '')).toEqual({ a: 1, b: 2 })
        // The streamed deltas rebuild exactly the final calls.
        expect(fromDeltas(r.events)).toEqual(r.calls)
      })

  it('streams the name before any argument fragment, then arguments in pieces', () => {
    const { events } = run('hermes', `<tool_call>\n${weather}\n</tool_call>`, 1)
    const kinds = events.map((e) => e.type)
    expect(kinds[0]).toBe('toolCallStart')
    expect(
      kinds.filter((k) => k === 'toolCallArguments').length,
    ).toBeGreaterThan(5)
    expect(kinds.at(-1)).toBe('toolCallEnd')
  })

  it('never puts a call marker into content, even split across chunks', () => {
    const { content, calls } = run(
      'hermes',
      `Hi <tool_call>\n${add}\n</tool_call>`,
      2,
    )
    expect(content).toBe('Hi ')
    expect(calls).toHaveLength(1)
  })

  it('plain text passes through unchanged', () => {
    for (const f of [
      'hermes',
      'smollm2',
      'mistral',
      'llama3',
      'generic',
    ] as const)
      expect(run(f, 'Hello <b>world</b> [x] {not json', 1).content).toBe(
        'Hello <b>world</b> [x] {not json'.slice(0),
      )
  })

  it('llama3: text that merely contains braces later is content', () => {
    const r = run('llama3', 'The set {1, 2} is small.')
    expect(r.content).toBe('The set {1, 2} is small.')
    expect(r.calls).toHaveLength(0)
  })
})
