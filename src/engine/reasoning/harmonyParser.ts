// Streaming parser for gpt-oss's Harmony output. A reply is a series of
// messages, each a header then a body:
//   <|channel|>analysis<|message|>…<|end|>
//   <|start|>assistant<|channel|>final<|message|>…<|return|>
//   <|start|>assistant<|channel|>commentary to=functions.get_weather
//     <|constrain|>json<|message|>{"city":"Paris"}<|call|>
// (the recipient may also come before the channel: `assistant to=functions.x
// <|channel|>commentary json<|message|>`). The analysis channel is reasoning,
// final (and commentary without a recipient: a preamble to the user) is
// content, and a message to `functions.NAME` is a tool call whose body is the
// arguments JSON, streamed as it comes. Markers may be cut across chunks; a
// tail that could start one is held back. Text before any header is content.

import { newToolCallId } from '../structured/toolCallParser.ts'
import type { ParsedToolCall } from '../structured/types.ts'
import type { ChatOutputEvent, ReasoningSpan } from './types.ts'

const START = '<|start|>'
const CHANNEL = '<|channel|>'
const MESSAGE = '<|message|>'
const ENDS = ['<|end|>', '<|return|>', '<|call|>']
const MARKERS = [START, CHANNEL, MESSAGE, '<|constrain|>', ...ENDS]
/** Special tokens a Harmony reply needs kept in the detokenized text. */
export const HARMONY_TOKENS = [...MARKERS]
/** Tokens that end a Harmony reply (`<|call|>` hands over to the tool). */
export const HARMONY_STOP_TOKENS = ['<|return|>', '<|call|>']
// A header longer than this without <|message|> is not a header.
const MAX_HEADER = 256

type Route =
  | { kind: 'content' }
  | { kind: 'reasoning' }
  | { kind: 'call'; index: number; args: string }

type Mode = 'header' | 'body' | 'between'

export class HarmonyParser {
  #mode: Mode = 'body'
  #route: Route = { kind: 'content' }
  #pending = ''
  #base = 0
  #headerStart = 0
  #spans: ReasoningSpan[] = []
  #calls: ParsedToolCall[] = []
  #toolCalls: boolean
  #newId: () => string
  #fresh = true // nothing seen yet: the reply may open with a header

  constructor(
    options: {
      toolCalls?: boolean
      newId?: () => string
      /** The header of a message the prompt already opened (promptHeader()). */
      openHeader?: string
    } = {},
  ) {
    this.#toolCalls = options.toolCalls ?? true
    this.#newId = options.newId ?? newToolCallId
    if (options.openHeader !== undefined) {
      this.#fresh = false
      this.#route = this.#routeOf(options.openHeader, [])
      if (this.#route.kind === 'reasoning')
        this.#spans.push({ start: 0, end: Infinity })
    }
  }

  get spans(): readonly ReasoningSpan[] {
    return this.#spans
  }

  get calls(): ParsedToolCall[] {
    return this.#calls
  }

  push(text: string): ChatOutputEvent[] {
    const out: ChatOutputEvent[] = []
    this.#pending += text
    this.#run(out, false)
    return out
  }

  flush(): ChatOutputEvent[] {
    const out: ChatOutputEvent[] = []
    this.#run(out, true)
    if (this.#mode === 'body') this.#emit(out, this.#pending.length)
    this.#drop(this.#pending.length)
    this.#close(out)
    return out
  }

  #run(out: ChatOutputEvent[], final: boolean): void {
    while (this.#pending.length > 0) {
      const before = this.#pending.length
      const mode = this.#mode
      if (mode === 'header') this.#header(out, final)
      else if (mode === 'between') this.#between(final)
      else this.#body(out, final)
      if (this.#pending.length === before && this.#mode === mode) return
    }
  }

  #between(final: boolean): void {
    const t = this.#pending.trimStart()
    this.#drop(this.#pending.length - t.length)
    if (t.startsWith(START) || t.startsWith(CHANNEL)) {
      this.#openHeader()
      return
    }
    if (!final && (START.startsWith(t) || CHANNEL.startsWith(t))) return
    // Stray text after a message: shown as content.
    this.#route = { kind: 'content' }
    this.#mode = 'body'
  }

  #openHeader(): void {
    this.#headerStart = this.#base
    this.#mode = 'header'
  }

  #header(out: ChatOutputEvent[], final: boolean): void {
    const at = this.#pending.indexOf(MESSAGE)
    if (at < 0) {
      if (this.#pending.length > MAX_HEADER || final) {
        // Not a header after all: show it.
        this.#route = { kind: 'content' }
        this.#mode = 'body'
      }
      return
    }
    const header = this.#pending.slice(0, at)
    this.#drop(at + MESSAGE.length)
    this.#route = this.#routeOf(header, out)
    if (this.#route.kind === 'reasoning')
      this.#spans.push({ start: this.#headerStart, end: Infinity })
    this.#mode = 'body'
  }

  #routeOf(header: string, out: ChatOutputEvent[]): Route {
    const channel = /<\|channel\|>\s*([A-Za-z_]+)/.exec(header)?.[1]
    const recipient = /\bto=([^\s<]+)/.exec(header)?.[1]
    if (recipient?.startsWith('functions.') && this.#toolCalls) {
      const index = this.#calls.length
      const id = this.#newId()
      const name = recipient.slice('functions.'.length)
      this.#calls.push({ id, name, arguments: '' })
      out.push({ type: 'toolCallStart', index, id, name })
      return { kind: 'call', index, args: '' }
    }
    if (recipient || channel === 'analysis') return { kind: 'reasoning' }
    return { kind: 'content' }
  }

  #body(out: ChatOutputEvent[], final: boolean): void {
    if (this.#fresh) {
      // The reply may start straight with a header (after `<|start|>assistant`).
      const t = this.#pending.trimStart()
      const opens = [CHANNEL, START, 'to=']
      if (opens.some((m) => t.startsWith(m))) {
        this.#fresh = false
        this.#drop(this.#pending.length - t.length)
        this.#openHeader()
        return
      }
      if (!final && opens.some((m) => m.startsWith(t))) return
      this.#fresh = false
    }
    let at = -1
    let marker = ''
    for (const m of [...ENDS, START, CHANNEL]) {
      const i = this.#pending.indexOf(m)
      if (i >= 0 && (at < 0 || i < at)) {
        at = i
        marker = m
      }
    }
    if (at >= 0) {
      this.#emit(out, at)
      if (ENDS.includes(marker)) {
        this.#drop(marker.length)
        this.#close(out)
        this.#mode = 'between'
      } else {
        this.#close(out)
        this.#openHeader()
      }
      return
    }
    let hold = 0
    if (!final)
      for (const m of MARKERS)
        hold = Math.max(hold, partialAt(this.#pending, m))
    this.#emit(out, this.#pending.length - hold)
  }

  // Body text [0, upto) to wherever the current message goes.
  #emit(out: ChatOutputEvent[], upto: number): void {
    if (upto <= 0) return
    const text = this.#pending.slice(0, upto)
    this.#drop(upto)
    const r = this.#route
    if (r.kind === 'call') {
      r.args += text
      out.push({ type: 'toolCallArguments', index: r.index, fragment: text })
      return
    }
    const type = r.kind === 'reasoning' ? 'reasoning' : 'content'
    const last = out[out.length - 1]
    if (last && last.type === type) last.text += text
    else out.push({ type, text })
  }

  // Ends the current message (its span, its call).
  #close(out: ChatOutputEvent[]): void {
    const r = this.#route
    if (r.kind === 'reasoning') {
      const span = this.#spans[this.#spans.length - 1]
      if (span && span.end === Infinity) span.end = this.#base
    }
    if (r.kind === 'call') {
      const call = this.#calls[r.index] as ParsedToolCall
      call.arguments = r.args.trim() || '{}'
      out.push({ type: 'toolCallEnd', index: r.index })
    }
    this.#route = { kind: 'content' }
  }

  #drop(n: number): void {
    this.#pending = this.#pending.slice(n)
    this.#base += n
  }
}

/**
 * The header of the message a rendered prompt leaves open for the model
 * (a template ending in `<|start|>assistant<|channel|>final<|message|>`), or
 * undefined when the prompt ends at `<|start|>assistant` as usual.
 */
export function promptHeader(prompt: string): string | undefined {
  const start = prompt.lastIndexOf(START)
  if (start < 0) return undefined
  const tail = prompt.slice(start + START.length)
  const at = tail.indexOf(MESSAGE)
  if (at < 0 || ENDS.some((e) => tail.includes(e))) return undefined
  return tail.slice(0, at)
}

function partialAt(text: string, marker: string): number {
  for (let k = Math.min(marker.length - 1, text.length); k > 0; k--)
    if (marker.startsWith(text.slice(text.length - k))) return k
  return 0
}
