// Turns a conversation and its settings into a /v1/chat/completions body:
// system prompt first, images as image_url parts, tool calls and results in
// OpenAI's shape, sampling fields, and the JSON schema or tools when on.
// Bad settings (a schema that is not JSON) throw a SettingsError naming
// the field, before anything is sent.
import type { ChatMessage, ChatSettings } from './types.ts'

export class SettingsError extends Error {
  override name = 'SettingsError' as const
  readonly field: string
  constructor(field: string, message: string) {
    super(message)
    this.field = field
  }
}

type ContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string } }

export type OpenAiMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string | ContentPart[] }
  | {
      role: 'assistant'
      content: string | null
      tool_calls?: {
        id: string
        type: 'function'
        function: { name: string; arguments: string }
      }[]
    }
  | { role: 'tool'; content: string; tool_call_id: string }

export function toOpenAiMessages(
  messages: ChatMessage[],
  systemPrompt: string,
): OpenAiMessage[] {
  const out: OpenAiMessage[] = []
  if (systemPrompt.trim()) out.push({ role: 'system', content: systemPrompt })
  for (const m of messages) {
    if (m.error && !m.content && !m.toolCalls?.length) continue
    if (m.role === 'user') {
      out.push(
        m.images?.length
          ? {
              role: 'user',
              content: [
                ...m.images.map((i) => ({
                  type: 'image_url' as const,
                  image_url: { url: i.dataUrl },
                })),
                { type: 'text' as const, text: m.content },
              ],
            }
          : { role: 'user', content: m.content },
      )
    } else if (m.role === 'assistant') {
      out.push({
        role: 'assistant',
        content: m.toolCalls?.length && !m.content ? null : m.content,
        ...(m.toolCalls?.length
          ? {
              tool_calls: m.toolCalls.map((c) => ({
                id: c.id,
                type: 'function' as const,
                function: { name: c.name, arguments: c.arguments },
              })),
            }
          : {}),
      })
    } else {
      out.push({
        role: 'tool',
        content: m.content,
        tool_call_id: m.toolCallId ?? '',
      })
    }
  }
  return out
}

function parseJson(text: string, field: string, what: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new SettingsError(
      field,
      `${what} is not valid JSON: ${(error as Error).message}`,
    )
  }
}

export function buildChatRequest(
  settings: ChatSettings,
  messages: ChatMessage[],
): Record<string, unknown> {
  if (!settings.model) throw new SettingsError('model', 'Pick a model first.')
  const body: Record<string, unknown> = {
    model: settings.model,
    messages: toOpenAiMessages(messages, settings.systemPrompt),
    stream: true,
    stream_options: { include_usage: true },
    temperature: settings.temperature,
    top_p: settings.topP,
    max_tokens: settings.maxTokens,
  }
  const seed = settings.seed.trim()
  if (seed) {
    if (!/^\d{1,15}$/.test(seed))
      throw new SettingsError('seed', 'The seed is a whole number >= 0.')
    body.seed = Number(seed)
  }
  if (settings.structured) {
    const schema = parseJson(settings.schema, 'schema', 'The JSON schema')
    if (!schema || typeof schema !== 'object' || Array.isArray(schema))
      throw new SettingsError('schema', 'The JSON schema must be an object.')
    body.response_format = {
      type: 'json_schema',
      json_schema: { name: 'reply', strict: true, schema },
    }
  }
  if (settings.toolsEnabled) {
    const tools = parseJson(settings.tools, 'tools', 'The tools')
    if (!Array.isArray(tools))
      throw new SettingsError('tools', 'The tools must be a JSON array.')
    body.tools = tools
    body.tool_choice = settings.toolChoice ?? 'auto'
  }
  return body
}
