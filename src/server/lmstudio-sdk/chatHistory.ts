// The SDK's chat history (`ChatHistoryData`: messages whose content is a
// list of text / file / toolCallRequest / toolCallResult parts) -> the
// engine's ChatMessage[]. Files (images uploaded through `client.files`) are
// not supported here; tool results answer the assistant's calls by id.
import { z } from 'zod'
import type { ChatMessage, ToolCall } from '../../engine/types.ts'
import { SdkError } from './serializeError.ts'

const part = z.object({ type: z.string() }).passthrough()
export const chatHistorySchema = z.object({
  messages: z.array(
    z.object({
      role: z.enum(['assistant', 'user', 'system', 'tool']),
      content: z.array(part),
    }),
  ),
})

export type ChatHistory = z.output<typeof chatHistorySchema>

export function toChatMessages(history: ChatHistory): ChatMessage[] {
  const out: ChatMessage[] = []
  let callCount = 0
  for (const m of history.messages) {
    const texts: string[] = []
    const calls: ToolCall[] = []
    for (const p of m.content) {
      if (p.type === 'text') texts.push(String(p.text ?? ''))
      else if (p.type === 'toolCallRequest' && m.role === 'assistant') {
        const r = p.toolCallRequest as {
          id?: string
          name: string
          arguments?: Record<string, unknown>
        }
        calls.push({
          id: r.id ?? `call_${callCount++}`,
          type: 'function',
          function: {
            name: r.name,
            arguments: JSON.stringify(r.arguments ?? {}),
          },
        })
      } else if (p.type === 'toolCallResult' && m.role === 'tool') {
        out.push({
          role: 'tool',
          content: String(p.content ?? ''),
          ...(typeof p.toolCallId === 'string'
            ? { tool_call_id: p.toolCallId }
            : {}),
        })
      } else if (p.type === 'file')
        throw new SdkError(
          'Files and images in the chat (client.files) are not supported by this server.',
          'Send text only, or use the HTTP API (/v1/chat/completions) with image_url parts.',
        )
      else throw new SdkError(`Unsupported chat message part "${p.type}".`)
    }
    if (m.role === 'tool') continue
    const text = texts.join('')
    if (m.role === 'assistant') {
      out.push({
        role: 'assistant',
        content: calls.length > 0 && !text ? null : text,
        ...(calls.length > 0 ? { tool_calls: calls } : {}),
      })
    } else out.push({ role: m.role, content: text })
  }
  return out
}
