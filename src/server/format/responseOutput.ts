// Output segments (format/outputSegments.ts) -> Responses API output items
// (`reasoning` with reasoning_text, `message` with one output_text part,
// `function_call`) and, while streaming, their documented events:
// response.output_item.added, response.content_part.added, the deltas
// (output_text, reasoning_text, function_call_arguments), their `.done`
// events, response.content_part.done and response.output_item.done. With
// MCP tools, `mcp_list_tools` items come first and a call to an MCP tool is
// an `mcp_call` item, done once the server has answered (completeCall).
import { randomBytes } from 'node:crypto'
import type { ChatOutputEvent } from '../../engine/reasoning/types.ts'
import type { McpCallResult } from '../mcp/toolLoop.ts'
import {
  OutputSegments,
  type Segment,
  type SegmentEvent,
} from './outputSegments.ts'

export type OutputItem = Record<string, unknown> & { type: string; id: string }
export type OutputEvent = Record<string, unknown> & { type: string }

const itemId = (prefix: 'msg' | 'rs' | 'fc' | 'mcp' | 'mcpl') =>
  `${prefix}_${randomBytes(24).toString('hex')}`

type Mcp = { label: string; result?: McpCallResult }

export class ResponseOutput {
  readonly #segments = new OutputSegments()
  /** Item ids by segment index (fixed when the segment starts). */
  readonly #ids: string[] = []
  /** Status a message / call gets when it closes. */
  #finalStatus: 'completed' | 'incomplete' = 'completed'
  /** MCP tool name -> server label. */
  readonly #mcpTools: Map<string, string>
  /** mcp_list_tools items, before every segment. */
  readonly #lists: OutputItem[] = []
  /** MCP calls by call id. */
  readonly #calls = new Map<string, Mcp>()

  constructor(mcpTools: Map<string, string> = new Map()) {
    this.#mcpTools = mcpTools
  }

  get hasToolCalls(): boolean {
    return this.#segments.hasToolCalls
  }

  /** The finished output items. */
  get items(): OutputItem[] {
    return [
      ...this.#lists,
      ...this.#segments.segments.map((s, i) =>
        this.#item(s, this.#ids[i] as string, this.#finalStatus),
      ),
    ]
  }

  /** An `mcp_list_tools` item (only before any generated output). */
  listTools(
    label: string,
    tools: { name: string; description?: string; inputSchema: object }[],
  ): OutputEvent[] {
    const item = {
      id: itemId('mcpl'),
      type: 'mcp_list_tools',
      server_label: label,
      tools: tools.map((t) => ({
        name: t.name,
        description: t.description ?? null,
        input_schema: t.inputSchema,
        annotations: null,
      })),
      error: null,
    }
    const output_index = this.#lists.length
    this.#lists.push(item)
    return [
      { type: 'response.output_item.added', output_index, item },
      {
        type: 'response.mcp_list_tools.completed',
        item_id: item.id,
        output_index,
      },
      { type: 'response.output_item.done', output_index, item },
    ]
  }

  /** An MCP server answered a call: its item is done. */
  completeCall(callId: string, result: McpCallResult): OutputEvent[] {
    const call = this.#calls.get(callId)
    const index = this.#segments.segments.findIndex(
      (s) => s.kind === 'tool_call' && s.id === callId,
    )
    const segment = this.#segments.segments[index]
    if (!call || !segment) return []
    call.result = result
    const output_index = this.#lists.length + index
    const item = this.#item(segment, this.#ids[index] as string, 'completed')
    return [
      {
        type:
          'error' in result
            ? 'response.mcp_call.failed'
            : 'response.mcp_call.completed',
        item_id: item.id,
        output_index,
      },
      { type: 'response.output_item.done', output_index, item },
    ]
  }

  #item(s: Segment, id: string, status: ItemStatus): OutputItem {
    const mcp = s.kind === 'tool_call' ? this.#calls.get(s.id) : undefined
    if (!mcp || s.kind !== 'tool_call') return toItem(s, id, status)
    const r = mcp.result
    return {
      id,
      type: 'mcp_call',
      server_label: mcp.label,
      name: s.name,
      arguments: s.arguments,
      output: r && 'output' in r ? r.output : null,
      error: r && 'error' in r ? r.error : null,
      status: !r ? 'in_progress' : 'error' in r ? 'failed' : 'completed',
    }
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
    const output_index = this.#lists.length + e.index
    const label =
      s.kind === 'tool_call' ? this.#mcpTools.get(s.name) : undefined
    if (e.type === 'start') {
      if (s.kind === 'tool_call' && label) this.#calls.set(s.id, { label })
      const id = itemId(
        s.kind === 'text'
          ? 'msg'
          : s.kind === 'reasoning'
            ? 'rs'
            : label
              ? 'mcp'
              : 'fc',
      )
      this.#ids[e.index] = id
      const added = {
        type: 'response.output_item.added',
        output_index,
        item: this.#item(s, id, 'in_progress'),
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
            type: label
              ? 'response.mcp_call_arguments.delta'
              : 'response.function_call_arguments.delta',
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
    const item = this.#item(s, item_id, this.#finalStatus)
    const itemDone = { type: 'response.output_item.done', output_index, item }
    // An MCP call is done once the server answers (completeCall).
    if (s.kind === 'tool_call' && label)
      return [
        {
          type: 'response.mcp_call_arguments.done',
          ...at,
          arguments: s.arguments,
        },
      ]
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

type ItemStatus = 'in_progress' | 'completed' | 'incomplete'

function toItem(s: Segment, id: string, status: ItemStatus): OutputItem {
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
