// Puts tools and past tool calls into a chat for templates that do not
// render them: a system message teaching the family's call format, and
// assistant tool_calls serialized as the model would have written them.
// Templates that know `tools` / `tool_calls` get them natively instead.
import type { ChatMessage } from '../types.ts'
import { TOOL_FORMATS } from './toolFormats.ts'
import type { ToolCallFormat, ToolDefinition } from './types.ts'

export type PrepareToolChatParameters = {
  messages: ChatMessage[]
  tools: ToolDefinition[]
  format: ToolCallFormat
  templateSource: string
}

export type PrepareToolChatReturnType = {
  messages: ChatMessage[]
  /** Extra template variables (`tools`) when the template renders them itself. */
  templateContext: Record<string, unknown>
}

/** One call as the model writes it (used for assistant history). */
export function formatToolCalls(
  format: ToolCallFormat,
  calls: { name: string; arguments: string }[],
): string {
  if (format === 'harmony')
    return calls
      .map(
        (c) =>
          `<|start|>assistant to=functions.${c.name}<|channel|>commentary json<|message|>${c.arguments}<|call|>`,
      )
      .join('')
  const spec = TOOL_FORMATS[format]
  const obj = (c: { name: string; arguments: string }) => {
    let args: unknown
    try {
      args = JSON.parse(c.arguments)
    } catch {
      args = {}
    }
    return JSON.stringify({ name: c.name, [spec.argumentsKey]: args })
  }
  if (spec.list)
    return `${spec.open}[${calls.map(obj).join(', ')}]${spec.close}`
  return calls
    .map((c) => `${spec.open}${obj(c)}${spec.close}`)
    .join(spec.separator)
}

function systemPrompt(format: ToolCallFormat, tools: ToolDefinition[]): string {
  const list = tools.map((t) => JSON.stringify(t)).join('\n')
  const example = formatToolCalls(format, [
    { name: 'function_name', arguments: '{"argument": "value"}' },
  ])
  return [
    'You can call functions. These are the available functions:',
    `<tools>\n${list}\n</tools>`,
    `To call a function, reply with:\n${example}`,
    'Call a function only when it helps answer; otherwise reply normally.',
  ].join('\n\n')
}

// Gemma's templates know only user/model turns that alternate: a tool
// result becomes a user turn with a ```tool_output fence, merged with the
// user turns around it.
const textOf = (c: ChatMessage['content']): string =>
  typeof c === 'string'
    ? c
    : (c ?? []).map((p) => (p.type === 'text' ? p.text : '')).join('')

function gemmaToolResults(messages: ChatMessage[]): ChatMessage[] {
  const out: ChatMessage[] = []
  let lastFromTool = false
  for (const m of messages) {
    const fromTool = m.role === 'tool'
    const turn: ChatMessage = fromTool
      ? {
          role: 'user',
          content: `\`\`\`tool_output\n${textOf(m.content)}\n\`\`\``,
        }
      : m
    const last = out[out.length - 1]
    if (
      (fromTool || lastFromTool) &&
      turn.role === 'user' &&
      last?.role === 'user' &&
      typeof last.content === 'string' &&
      typeof turn.content === 'string'
    )
      out[out.length - 1] = {
        ...last,
        content: `${last.content}\n${turn.content}`,
      }
    else out.push(turn)
    lastFromTool = fromTool
  }
  return out
}

// Mistral's templates raise unless call ids are 9 alphanumerics: other ids
// (from another server or format) are mapped to stable 9-character ones.
function mistralIds(messages: ChatMessage[]): ChatMessage[] {
  const nine = (id: string) => {
    if (/^[a-zA-Z0-9]{9}$/.test(id)) return id
    let h = 0xcbf29ce484222325n
    for (const ch of id)
      h =
        ((h ^ BigInt(ch.codePointAt(0) ?? 0)) * 0x100000001b3n) &
        (2n ** 64n - 1n)
    return h.toString(36).padStart(9, '0').slice(-9)
  }
  return messages.map((m) => ({
    ...m,
    ...(m.tool_call_id ? { tool_call_id: nine(m.tool_call_id) } : {}),
    ...(m.tool_calls
      ? { tool_calls: m.tool_calls.map((c) => ({ ...c, id: nine(c.id) })) }
      : {}),
  }))
}

// Gemma 2's template raises on a system turn: it goes in front of the first
// user turn instead (as Gemma 3's template does itself).
function foldSystem(messages: ChatMessage[]): ChatMessage[] {
  const system = messages
    .filter((m) => m.role === 'system')
    .map((m) => textOf(m.content))
    .join('\n\n')
  const rest = messages.filter((m) => m.role !== 'system')
  const first = rest[0]
  if (!system) return rest
  if (first?.role !== 'user')
    return [{ role: 'user', content: system }, ...rest]
  return [
    { ...first, content: `${system}\n\n${textOf(first.content)}` },
    ...rest.slice(1),
  ]
}

export function prepareToolChat(
  p: PrepareToolChatParameters,
): PrepareToolChatReturnType {
  const prepared = prepareMessages(p)
  let messages = prepared.messages
  if (p.format === 'mistral') messages = mistralIds(messages)
  if (
    p.format === 'gemma' &&
    p.templateSource.includes('System role not supported')
  )
    messages = foldSystem(messages)
  return { ...prepared, messages }
}

function prepareMessages(
  p: PrepareToolChatParameters,
): PrepareToolChatReturnType {
  const nativeTools = /\btools\b/.test(p.templateSource)
  const nativeCalls = /\btool_calls\b/.test(p.templateSource)
  const input =
    p.format === 'gemma' && !/\btool\b/.test(p.templateSource)
      ? gemmaToolResults(p.messages)
      : p.messages
  const messages = input.map((m): ChatMessage => {
    if (m.role !== 'assistant' || !m.tool_calls?.length || nativeCalls) return m
    const text = typeof m.content === 'string' ? m.content : ''
    const calls = formatToolCalls(
      p.format,
      m.tool_calls.map((c) => c.function),
    )
    return { role: 'assistant', content: text ? `${text}\n${calls}` : calls }
  })
  if (nativeTools || p.tools.length === 0)
    return { messages, templateContext: nativeTools ? { tools: p.tools } : {} }
  const prompt = systemPrompt(p.format, p.tools)
  const first = messages[0]
  if (first?.role === 'system') {
    const text = typeof first.content === 'string' ? first.content : ''
    return {
      messages: [
        { ...first, content: `${text}\n\n${prompt}` },
        ...messages.slice(1),
      ],
      templateContext: {},
    }
  }
  return {
    messages: [{ role: 'system', content: prompt }, ...messages],
    templateContext: {},
  }
}
