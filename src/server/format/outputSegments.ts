// A chat generation's parsed output (the reasoning, content and tool-call
// events of engine/reasoning/chatOutputParser.ts) -> an ordered list of
// segments, one open at a time: reasoning, text, or one tool call. Anthropic
// content blocks and Responses output items are both such segments; their
// formatters only rename the start / delta / end events. A text segment
// starts at its first visible character, so the blank lines a model puts
// between its reasoning, text and calls never become empty segments.
import type { ChatOutputEvent } from '../../engine/reasoning/types.ts'

export type Segment =
  | { kind: 'text'; text: string }
  | { kind: 'reasoning'; text: string }
  | { kind: 'tool_call'; id: string; name: string; arguments: string }

export type SegmentEvent =
  | { type: 'start'; index: number; segment: Segment }
  /** Text, reasoning text, or a fragment of a call's arguments. */
  | { type: 'delta'; index: number; segment: Segment; delta: string }
  | { type: 'end'; index: number; segment: Segment }

export class OutputSegments {
  /** Finished segments, in order. */
  readonly segments: Segment[] = []
  #open: (Segment & { call?: number }) | undefined
  #pendingSpace = ''

  get hasToolCalls(): boolean {
    return this.segments.some((s) => s.kind === 'tool_call')
  }

  push(events: ChatOutputEvent[]): SegmentEvent[] {
    const out: SegmentEvent[] = []
    for (const e of events) {
      if (e.type === 'content') this.#text(e.text, out)
      else if (e.type === 'reasoning') this.#reasoning(e.text, out)
      else if (e.type === 'toolCallStart') {
        this.#close(out)
        this.#pendingSpace = ''
        this.#start(
          { kind: 'tool_call', id: e.id, name: e.name, arguments: '' },
          out,
        )
        ;(this.#open as { call?: number }).call = e.index
      } else if (e.type === 'toolCallArguments') {
        const open = this.#open
        if (open?.kind !== 'tool_call' || open.call !== e.index) continue
        if (!e.fragment) continue
        open.arguments += e.fragment
        this.#delta(e.fragment, out)
      } else if (e.type === 'toolCallEnd') {
        if (this.#open?.kind === 'tool_call') this.#close(out)
      }
    }
    return out
  }

  /** End of output: closes the open segment. */
  finish(): SegmentEvent[] {
    const out: SegmentEvent[] = []
    this.#close(out)
    return out
  }

  #text(text: string, out: SegmentEvent[]): void {
    if (!text) return
    if (this.#open?.kind !== 'text') {
      const visible = text.trimStart()
      if (!visible) {
        this.#pendingSpace += text
        return
      }
      this.#close(out)
      this.#start({ kind: 'text', text: '' }, out)
      text = visible
    } else if (this.#pendingSpace) {
      text = this.#pendingSpace + text
    }
    this.#pendingSpace = ''
    ;(this.#open as { text: string }).text += text
    this.#delta(text, out)
  }

  #reasoning(text: string, out: SegmentEvent[]): void {
    if (!text) return
    if (this.#open?.kind !== 'reasoning') {
      this.#close(out)
      this.#pendingSpace = ''
      this.#start({ kind: 'reasoning', text: '' }, out)
    }
    ;(this.#open as { text: string }).text += text
    this.#delta(text, out)
  }

  #start(segment: Segment, out: SegmentEvent[]): void {
    this.#open = segment
    // A copy: the open segment keeps growing before the events are read.
    const empty = { ...segment }
    out.push({ type: 'start', index: this.segments.length, segment: empty })
  }

  #delta(delta: string, out: SegmentEvent[]): void {
    const segment = this.#open as Segment
    out.push({ type: 'delta', index: this.segments.length, segment, delta })
  }

  #close(out: SegmentEvent[]): void {
    const open = this.#open
    if (!open) return
    const { call: _, ...segment } = open
    const index = this.segments.length
    this.segments.push(segment as Segment)
    this.#open = undefined
    out.push({ type: 'end', index, segment: segment as Segment })
  }
}
