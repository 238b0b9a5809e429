// Output segments (format/outputSegments.ts) -> Anthropic content blocks:
// while streaming, the block events in the documented order
// (content_block_start, deltas — `thinking_delta`, `text_delta`,
// `input_json_delta` — then content_block_stop); at the end, the whole
// blocks of the non-streamed message.
import type { ChatOutputEvent } from '../../engine/reasoning/types.ts'
import {
  OutputSegments,
  type Segment,
  type SegmentEvent,
} from './outputSegments.ts'

export type AnthropicBlock =
  | { type: 'text'; text: string; citations: null }
  | { type: 'thinking'; thinking: string; signature: string }
  | {
      type: 'tool_use'
      id: string
      name: string
      input: Record<string, unknown>
    }

export type BlockEvent =
  | { type: 'content_block_start'; index: number; content_block: object }
  | { type: 'content_block_delta'; index: number; delta: object }
  | { type: 'content_block_stop'; index: number }

export class AnthropicBlocks {
  readonly #segments = new OutputSegments()

  get content(): AnthropicBlock[] {
    return this.#segments.segments.map(toBlock)
  }

  get calledTools(): boolean {
    return this.#segments.hasToolCalls
  }

  push(events: ChatOutputEvent[]): BlockEvent[] {
    return this.#segments.push(events).map(toEvent)
  }

  /** End of output: closes the open block. */
  finish(): BlockEvent[] {
    return this.#segments.finish().map(toEvent)
  }
}

function toEvent(e: SegmentEvent): BlockEvent {
  const { index, segment: s } = e
  if (e.type === 'end') return { type: 'content_block_stop', index }
  if (e.type === 'start')
    return {
      type: 'content_block_start',
      index,
      content_block:
        s.kind === 'tool_call'
          ? { type: 'tool_use', id: s.id, name: s.name, input: {} }
          : s.kind === 'reasoning'
            ? { type: 'thinking', thinking: '', signature: '' }
            : { type: 'text', text: '' },
    }
  return {
    type: 'content_block_delta',
    index,
    delta:
      s.kind === 'tool_call'
        ? { type: 'input_json_delta', partial_json: e.delta }
        : s.kind === 'reasoning'
          ? { type: 'thinking_delta', thinking: e.delta }
          : { type: 'text_delta', text: e.delta },
  }
}

function toBlock(s: Segment): AnthropicBlock {
  if (s.kind === 'text') return { type: 'text', text: s.text, citations: null }
  if (s.kind === 'reasoning')
    return { type: 'thinking', thinking: s.text, signature: '' }
  return {
    type: 'tool_use',
    id: s.id,
    name: s.name,
    input: parseInput(s.arguments),
  }
}

/** Arguments text -> the tool's input object ({} when empty or cut off). */
function parseInput(json: string): Record<string, unknown> {
  if (!json.trim()) return {}
  try {
    const v = JSON.parse(json)
    return v && typeof v === 'object' && !Array.isArray(v) ? v : {}
  } catch {
    return {}
  }
}
