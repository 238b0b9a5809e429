// Streaming split of generated text into content and tool calls, per family
// format (toolFormats.ts). Content is emitted as it arrives except a tail
// that may be the start of a call marker; inside a call, the name is emitted
// once known and the arguments JSON as raw fragments, so a server can stream
// OpenAI deltas (id + name first, then argument pieces). Calls never leak
// into content.
import { TOOL_FORMATS, type ToolFormatSpec } from './toolFormats.ts'
import type { ParsedToolCall, ToolCallFormat } from './types.ts'

const PYTHON_TAG = '<|python_tag|>'

export type ToolCallEvent =
  | { type: 'content'; text: string }
  | { type: 'toolCallStart'; index: number; id: string; name: string }
  | { type: 'toolCallArguments'; index: number; fragment: string }
  | { type: 'toolCallEnd'; index: number }

const ALPHANUMERIC =
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** Random OpenAI-style call id (`call_` + 24 alphanumerics). */
export function newToolCallId(): string {
  let id = 'call_'
  for (let i = 0; i < 24; i++)
    id += ALPHANUMERIC[Math.floor(Math.random() * ALPHANUMERIC.length)]
  return id
}

/** Mistral's templates require call ids of exactly 9 alphanumerics. */
export function newMistralToolCallId(): string {
  let id = ''
  for (let i = 0; i < 9; i++)
    id += ALPHANUMERIC[Math.floor(Math.random() * ALPHANUMERIC.length)]
  return id
}

// One JSON object being scanned: tracks depth/strings to find the top-level
// "name" and arguments values as they complete.
type CallScan = {
  buf: string
  depth: number
  inString: boolean
  escape: boolean
  key: string | undefined // last top-level key
  keyStart: number
  expectKey: boolean
  valueKey: string | undefined // key whose value is being read
  valueStart: number
  name: string | undefined
  argsText: string | undefined
  argsEmitted: number // chars of the arguments value already streamed
  index: number
  started: boolean
}

export class ToolCallParser {
  readonly format: ToolCallFormat
  readonly #spec: ToolFormatSpec
  readonly #newId: () => string
  #mode: 'text' | 'calls' | 'close' = 'text'
  #pending = '' // text not yet classified
  #sawText = false // llama3: non-JSON text decides the reply is content
  #scan: CallScan | undefined
  #listDepth = 0 // list formats: inside the array
  #calls: ParsedToolCall[] = []
  #ids: Record<number, string> = {}

  constructor(format: ToolCallFormat, options: { newId?: () => string } = {}) {
    if (format === 'harmony')
      throw new Error(
        '[ToolCallParser] Harmony replies are parsed by HarmonyParser (reasoning/harmonyParser.ts)',
      )
    this.format = format
    this.#spec = TOOL_FORMATS[format]
    this.#newId =
      options.newId ??
      (format === 'mistral' ? newMistralToolCallId : newToolCallId)
  }

  /** Calls completed so far (all of them after flush()). */
  get calls(): ParsedToolCall[] {
    return this.#calls
  }

  push(text: string): ToolCallEvent[] {
    const events: ToolCallEvent[] = []
    this.#pending += text
    this.#run(events, false)
    return events
  }

  /** End of generation: releases held text, closes an unfinished call. */
  flush(): ToolCallEvent[] {
    const events: ToolCallEvent[] = []
    this.#run(events, true)
    if (this.#scan) this.#endCall(events)
    if (this.#mode === 'text' && this.#pending)
      events.push({ type: 'content', text: this.#pending })
    this.#pending = ''
    return events
  }

  #run(events: ToolCallEvent[], final: boolean): void {
    while (this.#pending.length > 0) {
      const before = this.#pending.length
      const mode = this.#mode
      if (mode === 'text') this.#text(events, final)
      else if (mode === 'calls') this.#callsStep(events)
      else this.#closeStep()
      if (this.#pending.length === before && this.#mode === mode) break
    }
  }

  #text(events: ToolCallEvent[], final: boolean): void {
    const open = this.#spec.open
    if (open === '') {
      // Bare JSON (Llama 3): a reply whose first non-blank char is "{" is calls.
      if (this.#sawText) {
        this.#emitContent(events, this.#pending.length)
        return
      }
      const lead = this.#pending.trimStart()
      // Wait while the reply may still be starting with <|python_tag|>.
      if (
        !final &&
        lead.length < PYTHON_TAG.length &&
        PYTHON_TAG.startsWith(lead)
      )
        return
      const t = this.#pending.replace(/^\s*<\|python_tag\|>/, '').trimStart()
      if (t === '') return
      if (t.startsWith('{')) {
        this.#pending = t
        this.#mode = 'calls'
        return
      }
      this.#sawText = true
      this.#emitContent(events, this.#pending.length)
      return
    }
    const at = this.#pending.indexOf(open.trimEnd())
    if (at >= 0) {
      // Whitespace between a text and the marker is not worth a content delta.
      if (this.#pending.slice(0, at).trim() !== '')
        this.#emitContent(events, at)
      else this.#pending = this.#pending.slice(at)
      this.#pending = this.#pending.slice(
        this.#pending.indexOf(open.trimEnd()) + open.trimEnd().length,
      )
      this.#mode = 'calls'
      this.#listDepth = 0
      return
    }
    // Hold back a tail that could be the start of the marker (and, after
    // calls, blank separators that may precede another block).
    let hold = 0
    const marker = open.trimEnd()
    for (let k = Math.min(marker.length - 1, this.#pending.length); k > 0; k--)
      if (marker.startsWith(this.#pending.slice(-k))) {
        hold = k
        break
      }
    if (final) hold = 0
    let upto = this.#pending.length - hold
    if (
      this.#calls.length > 0 &&
      this.#pending.slice(0, upto).trim() === '' &&
      !final
    )
      upto = 0
    if (upto > 0) this.#emitContent(events, upto)
  }

  #emitContent(events: ToolCallEvent[], upto: number): void {
    const text = this.#pending.slice(0, upto)
    this.#pending = this.#pending.slice(upto)
    if (this.#calls.length > 0 && text.trim() === '') return
    if (text.trim() !== '') this.#sawText = true
    const last = events[events.length - 1]
    if (last?.type === 'content') last.text += text
    else if (text) events.push({ type: 'content', text })
  }

  // Between/inside call objects: skips blanks, separators, list brackets.
  #callsStep(events: ToolCallEvent[]): void {
    while (this.#pending.length > 0) {
      if (this.#scan) {
        this.#feedScan(events)
        if (this.#scan) return
        continue
      }
      const ch = this.#pending[0] as string
      if (/\s/.test(ch) || ch === ',' || ch === ';') {
        this.#pending = this.#pending.slice(1)
      } else if (ch === '[' && this.#spec.list && this.#listDepth === 0) {
        this.#listDepth = 1
        this.#pending = this.#pending.slice(1)
      } else if (ch === ']' && this.#spec.list && this.#listDepth === 1) {
        this.#listDepth = 0
        this.#pending = this.#pending.slice(1)
        this.#mode = this.#spec.close ? 'close' : 'text'
        return
      } else if (ch === '{') {
        this.#scan = {
          buf: '',
          depth: 0,
          inString: false,
          escape: false,
          key: undefined,
          keyStart: -1,
          expectKey: true,
          valueKey: undefined,
          valueStart: -1,
          name: undefined,
          argsText: undefined,
          argsEmitted: 0,
          index: this.#calls.length,
          started: false,
        }
      } else {
        // Not JSON: the block ends here (block formats) or the text resumes.
        this.#mode = this.#spec.close && !this.#spec.list ? 'close' : 'text'
        return
      }
    }
  }

  #closeStep(): void {
    const close = this.#spec.close.trim()
    const t = this.#pending.trimStart()
    if (t.length < close.length && close.startsWith(t)) {
      this.#pending = t
      return // wait for more
    }
    this.#pending = t.startsWith(close) ? t.slice(close.length) : t
    this.#mode = 'text'
  }

  #feedScan(events: ToolCallEvent[]): void {
    const s = this.#scan as CallScan
    let i = 0
    for (; i < this.#pending.length; i++) {
      const ch = this.#pending[i] as string
      const pos = s.buf.length
      s.buf += ch
      if (s.inString) {
        if (s.escape) s.escape = false
        else if (ch === '\\') s.escape = true
        else if (ch === '"') {
          s.inString = false
          if (s.depth === 1 && s.expectKey)
            s.key = JSON.parse(s.buf.slice(s.keyStart, pos + 1)) as string
        }
        continue
      }
      if (ch === '"') {
        s.inString = true
        if (s.depth === 1 && s.expectKey) s.keyStart = pos
        if (s.depth === 1 && s.valueKey !== undefined && s.valueStart < 0)
          s.valueStart = pos
        continue
      }
      if (/\s/.test(ch)) continue
      if (s.depth === 1 && ch === ':' && s.expectKey) {
        s.expectKey = false
        s.valueKey = s.key
        s.valueStart = -1
        continue
      }
      if (
        s.depth === 1 &&
        s.valueKey !== undefined &&
        s.valueStart < 0 &&
        ch !== ',' &&
        ch !== '}'
      )
        s.valueStart = pos
      if (ch === '{' || ch === '[') s.depth++
      else if (ch === '}' || ch === ']') s.depth--
      if ((ch === ',' && s.depth === 1) || s.depth === 0) {
        if (s.valueKey !== undefined && s.valueStart >= 0)
          this.#valueDone(events, s, s.buf.slice(s.valueStart, pos).trim())
        s.valueKey = undefined
        s.expectKey = true
      }
      if (s.depth === 0) {
        i++
        break
      }
    }
    this.#pending = this.#pending.slice(i)
    this.#streamArgs(events, s)
    if (s.depth === 0 && s.buf.length > 0) this.#endCall(events)
  }

  #valueDone(events: ToolCallEvent[], s: CallScan, value: string): void {
    if (s.valueKey === 'name') {
      try {
        s.name = String(JSON.parse(value))
      } catch {
        s.name = value
      }
      this.#start(events, s)
    } else if (s.valueKey === 'arguments' || s.valueKey === 'parameters') {
      s.argsText = value
    }
  }

  #start(events: ToolCallEvent[], s: CallScan): void {
    if (s.started || s.name === undefined) return
    s.started = true
    const id = this.#newId()
    this.#ids[s.index] = id
    events.push({ type: 'toolCallStart', index: s.index, id, name: s.name })
  }

  // Streams the arguments value while it is being generated.
  #streamArgs(events: ToolCallEvent[], s: CallScan): void {
    if (!s.started) return
    const active = s.valueKey === 'arguments' || s.valueKey === 'parameters'
    let text: string | undefined
    if (s.argsText !== undefined) text = s.argsText
    else if (active && s.valueStart >= 0) text = s.buf.slice(s.valueStart)
    if (text === undefined || text.length <= s.argsEmitted) return
    events.push({
      type: 'toolCallArguments',
      index: s.index,
      fragment: text.slice(s.argsEmitted),
    })
    s.argsEmitted = text.length
  }

  #endCall(events: ToolCallEvent[]): void {
    const s = this.#scan as CallScan
    this.#scan = undefined
    if (s.name === undefined) {
      // No usable name: salvage what parses, else drop the fragment.
      try {
        const o = JSON.parse(s.buf) as { name?: unknown }
        if (typeof o.name === 'string') s.name = o.name
      } catch {}
      if (s.name === undefined) return
    }
    if (!s.started) this.#start(events, s)
    if (
      s.argsText === undefined &&
      s.valueKey !== undefined &&
      s.valueStart >= 0
    )
      s.argsText = s.buf.slice(s.valueStart)
    this.#streamArgs(events, s)
    const id = this.#ids[s.index] ?? this.#newId()
    let args = s.argsText ?? '{}'
    // Some models double-encode arguments as a JSON string.
    if (args.startsWith('"')) {
      try {
        args = String(JSON.parse(args))
      } catch {}
    }
    this.#calls.push({ id, name: s.name, arguments: args })
    events.push({ type: 'toolCallEnd', index: s.index })
    if (!this.#spec.list && this.#spec.close) this.#mode = 'close'
  }
}
