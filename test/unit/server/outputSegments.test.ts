// OutputSegments and the two formatters over it, fed parser events by hand:
// reasoning, text and tool calls become ordered segments, blank text between
// them never opens a text block, start events carry empty snapshots even
// when deltas follow in the same batch, and Anthropic / Responses events
// come out in their documented order.
import { describe, expect, it } from 'vitest'
import type { ChatOutputEvent } from '../../../src/engine/reasoning/types.ts'
import { AnthropicBlocks } from '../../../src/server/format/anthropicBlocks.ts'
import { OutputSegments } from '../../../src/server/format/outputSegments.ts'
import { ResponseOutput } from '../../../src/server/format/responseOutput.ts'

const events: ChatOutputEvent[] = [
  { type: 'reasoning', text: 'think ' },
  { type: 'reasoning', text: 'more' },
  { type: 'content', text: '\n\n' },
  { type: 'content', text: 'Answer' },
  { type: 'content', text: ' here.\n' },
  { type: 'toolCallStart', index: 0, id: 'toolu_1', name: 'f' },
  { type: 'toolCallArguments', index: 0, fragment: '{"a":' },
  { type: 'toolCallArguments', index: 0, fragment: ' 1}' },
  { type: 'toolCallEnd', index: 0 },
  { type: 'content', text: '\n' },
]

describe('OutputSegments', () => {
  it('orders segments and skips blank text', () => {
    const s = new OutputSegments()
    const out = [...s.push(events), ...s.finish()]
    expect(s.segments).toEqual([
      { kind: 'reasoning', text: 'think more' },
      { kind: 'text', text: 'Answer here.\n' },
      { kind: 'tool_call', id: 'toolu_1', name: 'f', arguments: '{"a": 1}' },
    ])
    expect(out.filter((e) => e.type === 'start')).toHaveLength(3)
    // Starts are snapshots taken before any delta.
    for (const e of out.filter((e) => e.type === 'start'))
      expect(e.segment).toMatchObject(
        e.segment.kind === 'tool_call' ? { arguments: '' } : { text: '' },
      )
    expect(s.hasToolCalls).toBe(true)
  })
})

describe('AnthropicBlocks', () => {
  it('emits start / deltas / stop per block and whole blocks at the end', () => {
    const b = new AnthropicBlocks()
    const out = [...b.push(events), ...b.finish()]
    expect(out.map((e) => `${e.type}:${e.index}`)).toEqual([
      'content_block_start:0',
      'content_block_delta:0',
      'content_block_delta:0',
      'content_block_stop:0',
      'content_block_start:1',
      'content_block_delta:1',
      'content_block_delta:1',
      'content_block_stop:1',
      'content_block_start:2',
      'content_block_delta:2',
      'content_block_delta:2',
      'content_block_stop:2',
    ])
    expect(out[9]).toMatchObject({
      delta: { type: 'input_json_delta', partial_json: '{"a":' },
    })
    expect(b.content).toEqual([
      { type: 'thinking', thinking: 'think more', signature: '' },
      { type: 'text', text: 'Answer here.\n', citations: null },
      { type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: 1 } },
    ])
  })

  it('cut-off tool arguments give an empty input, not a crash', () => {
    const b = new AnthropicBlocks()
    b.push([
      { type: 'toolCallStart', index: 0, id: 'toolu_2', name: 'g' },
      { type: 'toolCallArguments', index: 0, fragment: '{"a": "unfinis' },
    ])
    b.finish()
    expect(b.content).toEqual([
      { type: 'tool_use', id: 'toolu_2', name: 'g', input: {} },
    ])
  })
})

describe('ResponseOutput', () => {
  it('emits the Responses item events in order', () => {
    const r = new ResponseOutput()
    const out = [...r.push(events), ...r.finish('completed')]
    expect(out.map((e) => e.type)).toEqual([
      'response.output_item.added',
      'response.content_part.added',
      'response.reasoning_text.delta',
      'response.reasoning_text.delta',
      'response.reasoning_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
    ])
    expect(out[8]).toMatchObject({ part: { type: 'output_text', text: '' } })
    expect(r.items.map((i) => i.type)).toEqual([
      'reasoning',
      'message',
      'function_call',
    ])
    expect(r.items[2]).toMatchObject({
      call_id: 'toolu_1',
      arguments: '{"a": 1}',
      status: 'completed',
    })
  })
})
