import { describe, expect, it } from 'vitest'
import {
  type ToolCallDelta,
  toolCallDelta,
} from '../../../src/engine/structured/toolCallDelta.ts'
import { ToolCallParser } from '../../../src/engine/structured/toolCallParser.ts'

// Token-sized pieces of a Qwen-style reply with two parallel calls.
const reply =
  'Checking both.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>\n' +
  '<tool_call>\n{"name": "get_time", "arguments": {"tz": "CET"}}\n</tool_call>'

describe('tool-call streaming framing (OpenAI deltas)', () => {
  it('first delta per call has id + name, then argument fragments; content never has calls', () => {
    let n = 0
    const parser = new ToolCallParser('hermes', { newId: () => `call_${n++}` })
    const deltas: ToolCallDelta[] = []
    let content = ''
    const pieces = reply.match(/[\s\S]{1,4}/g) ?? []
    for (const piece of [...pieces, null]) {
      const events = piece === null ? parser.flush() : parser.push(piece)
      for (const e of events) {
        if (e.type === 'content') content += e.text
        const d = toolCallDelta(e)
        if (d) deltas.push(d)
      }
    }
    expect(content).toBe('Checking both.\n')
    expect(content).not.toContain('tool_call')
    for (const index of [0, 1]) {
      const mine = deltas.filter((d) => d.index === index)
      expect(mine[0]).toMatchObject({
        index,
        id: `call_${index}`,
        type: 'function',
        function: { arguments: '' },
      })
      expect(
        mine
          .slice(1)
          .every((d) => d.id === undefined && d.function.name === undefined),
      ).toBe(true)
      expect(mine.length).toBeGreaterThan(2)
    }
    const args = (i: number) =>
      deltas
        .filter((d) => d.index === i)
        .map((d) => d.function.arguments)
        .join('')
    expect(JSON.parse(args(0))).toEqual({ city: 'Paris' })
    expect(JSON.parse(args(1))).toEqual({ tz: 'CET' })
    expect(
      deltas.filter((d) => d.function.name).map((d) => d.function.name),
    ).toEqual(['get_weather', 'get_time'])
    // finish_reason is "tool_calls" exactly when the parser found calls.
    expect(parser.calls.length > 0 ? 'tool_calls' : 'stop').toBe('tool_calls')
  })
})
