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

export function prepareToolChat(
  p: PrepareToolChatParameters,
): PrepareToolChatReturnType {
  const nativeTools = /\btools\b/.test(p.templateSource)
  const nativeCalls = /\btool_calls\b/.test(p.templateSource)
  const messages = p.messages.map((m): ChatMessage => {
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
