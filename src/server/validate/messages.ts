// OpenAI chat messages -> engine ChatMessage[]. Text parts are kept as parts,
// `image_url` parts must be base64 data URIs (decoded here), and the
// `developer` role is treated as `system`.
import { z } from 'zod'
import type { ChatMessage, ContentPart } from '../../engine/types.ts'
import { InvalidRequestError } from '../errors.ts'

const textPart = z.object({ type: z.literal('text'), text: z.string() })
const imagePart = z.object({
  type: z.literal('image_url'),
  image_url: z.union([
    z.string(),
    z.object({ url: z.string(), detail: z.string().optional() }),
  ]),
})
const toolCall = z.object({
  id: z.string(),
  type: z.literal('function').default('function'),
  function: z.object({ name: z.string(), arguments: z.string() }),
})

export const messageSchema = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z
    .union([z.string(), z.array(z.union([textPart, imagePart])), z.null()])
    .optional(),
  name: z.string().optional(),
  tool_calls: z.array(toolCall).optional(),
  tool_call_id: z.string().optional(),
})

export const messagesSchema = z
  .array(messageSchema)
  .min(1, 'must contain at least one message')

type RawMessage = z.output<typeof messageSchema>

export function toChatMessages(raw: RawMessage[]): ChatMessage[] {
  return raw.map((m, i) => {
    const message: ChatMessage = {
      role: m.role === 'developer' ? 'system' : m.role,
      content:
        typeof m.content === 'string' || m.content == null
          ? (m.content ?? null)
          : toParts(m.content, i),
    }
    if (m.name) message.name = m.name
    if (m.tool_calls) message.tool_calls = m.tool_calls
    if (m.tool_call_id) message.tool_call_id = m.tool_call_id
    return message
  })
}

type RawPart = z.output<typeof textPart> | z.output<typeof imagePart>

function toParts(parts: RawPart[], i: number): ContentPart[] {
  return parts.map((p, j) => {
    if (p.type === 'text') return { type: 'text', text: p.text }
    const url = typeof p.image_url === 'string' ? p.image_url : p.image_url.url
    const match = url.match(/^data:(image\/[\w.+-]+);base64,(.*)$/s)
    if (!match?.[1] || match[2] === undefined) {
      throw new InvalidRequestError(
        'Images must be base64 data URIs (data:image/<type>;base64,...); remote URLs are not fetched.',
        `messages[${i}].content[${j}].image_url.url`,
        'invalid_image_url',
      )
    }
    return {
      type: 'image',
      mimeType: match[1],
      data: new Uint8Array(Buffer.from(match[2], 'base64')),
    }
  })
}

export const hasImages = (messages: ChatMessage[]) =>
  messages.some(
    (m) =>
      Array.isArray(m.content) && m.content.some((p) => p.type === 'image'),
  )
