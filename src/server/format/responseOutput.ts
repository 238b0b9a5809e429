// Output segments (format/outputSegments.ts) -> Responses API output items
// (`reasoning` with reasoning_text, `message` with one output_text part,
// `function_call`) and, while streaming, their documented events:
// response.output_item.added, response.content_part.added, the deltas
// (output_text, reasoning_text, function_call_arguments), their `.done`
// events, response.content_part.done and response.output_item.done.
import { randomBytes } from 'node:crypto'
import type { ChatOutputEvent } from '../../engine/reasoning/types.ts'
import {
  OutputSegments,
  type Segment,
  type SegmentEvent,
} from './outputSegments.ts'

export type OutputItem = Record<string, unknown> & { type: string; id: string }
export type OutputEvent = Record<string, unknown> & { type: string }

const itemId = (prefix: 'msg' | 'rs' | 'fc') =>
  `${prefix}_${randomBytes(24).toString('hex')}`

export class ResponseOutput {
  readonly #segments = new OutputSegments()
  /** Item ids by segment index (fixed when the segment starts). */
  readonly #ids: string[] = []
  /** Status a message / call gets when it closes. */
  #finalStatus: 'completed' | 'incomplete' = 'completed'

  get hasToolCalls(): boolean {
    return this.#segments.hasToolCalls
  }

  /** The finished output items. */
  get items(): OutputItem[] {
    return this.#segments.segments.map((s, i) =>
      toItem(s, this.#ids[i] as string, this.#finalStatus),
    )
  }

  push(events: ChatOutputEvent[]): OutputEvent[] {
    return this.#segments.push(events).flatMap((e) => this.#events(e))
  }

  /** End of output; `incomplete` when it was cut off (max_output_tokens). */
  finish(status: 'completed' | 'incomplete'): OutputEvent[] {
    this.#finalStatus = status
    return this.#segments.finish().flatMap((e) => this.#events(e))
  }

  #events(e: SegmentEvent): OutputEvent[] {
    const s = e.segment
    const output_index = e.index
    if (e.type === 'start') {
      const id = itemId(
        s.kind === 'text' ? 'msg' : s.kind === 'reasoning' ? 'rs' : 'fc',
      )
      this.#ids[e.index] = id
      const added = {
        type: 'response.output_item.added',
        output_index,
        item: toItem(s, id, 'in_progress'),
      }
      if (s.kind === 'tool_call') return [added]
      return [
        added,
        {
          type: 'response.content_part.added',
          item_id: id,
          output_index,
          content_index: 0,
          part: part(s),
        },
      ]
    }
    const item_id = this.#ids[e.index] as string
    const at = { item_id, output_index }
    if (e.type === 'delta') {
      if (s.kind === 'tool_call')
        return [
          {
            type: 'response.function_call_arguments.delta',
            ...at,
            delta: e.delta,
          },
        ]
      return [
        s.kind === 'text'
          ? {
              type: 'response.output_text.delta',
              ...at,
              content_index: 0,
              delta: e.delta,
              logprobs: [],
            }
          : {
              type: 'response.reasoning_text.delta',
              ...at,
              content_index: 0,
              delta: e.delta,
            },
      ]
    }
    const item = toItem(s, item_id, this.#finalStatus)
    const itemDone = { type: 'response.output_item.done', output_index, item }
    if (s.kind === 'tool_call')
      return [
        {
          type: 'response.function_call_arguments.done',
          ...at,
          name: s.name,
          arguments: s.arguments,
        },
        itemDone,
      ]
    return [
      s.kind === 'text'
        ? {
            type: 'response.output_text.done',
            ...at,
            content_index: 0,
            text: s.text,
            logprobs: [],
          }
        : {
            type: 'response.reasoning_text.done',
            ...at,
            content_index: 0,
            text: s.text,
          },
      {
        type: 'response.content_part.done',
        ...at,
        content_index: 0,
        part: part(s),
      },
      itemDone,
    ]
  }
}

function part(s: Segment) {
  if (s.kind === 'reasoning') return { type: 'reasoning_text', text: s.text }
  const text = s.kind === 'text' ? s.text : ''
  return { type: 'output_text', text, annotations: [], logprobs: [] }
}

function toItem(
  s: Segment,
  id: string,
  status: 'in_progress' | 'completed' | 'incomplete',
): OutputItem {
  if (s.kind === 'reasoning')
    return {
      id,
      type: 'reasoning',
      summary: [],
      // Streaming adds the part with response.content_part.added.
      content: status === 'in_progress' ? [] : [part(s)],
    }
  if (s.kind === 'tool_call')
    return {
      id,
      type: 'function_call',
      status,
      call_id: s.id,
      name: s.name,
      arguments: s.arguments,
    }
  return {
    id,
    type: 'message',
    status,
    role: 'assistant',
    content: status === 'in_progress' ? [] : [part(s)],
  }
}
