// OpenAI chat messages -> engine ChatMessage[]. Text parts are kept as parts,
// `image_url` parts are base64 data URIs (png, jpeg, webp, gif) or http(s)
// URLs fetched here with a size and time limit, and the `developer` role is
// treated as `system`. Whether the model takes images is checked once it is
// loaded (generation/startGeneration.ts).
import { z } from 'zod'
import { InvalidOptionError } from '../../engine/errors.ts'
import type { ChatMessage, ContentPart } from '../../engine/types.ts'
import {
  type FetchImageOptions,
  fetchImage,
} from '../../engine/vision/fetchImage.ts'
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

export async function toChatMessages(
  raw: RawMessage[],
  images: FetchImageOptions = {},
): Promise<ChatMessage[]> {
  const out: ChatMessage[] = []
  for (const [i, m] of raw.entries()) {
    const message: ChatMessage = {
      role: m.role === 'developer' ? 'system' : m.role,
      content:
        typeof m.content === 'string' || m.content == null
          ? (m.content ?? null)
          : await toParts(m.content, i, images),
    }
    if (m.name) message.name = m.name
    if (m.tool_calls) message.tool_calls = m.tool_calls
    if (m.tool_call_id) message.tool_call_id = m.tool_call_id
    out.push(message)
  }
  return out
}

type RawPart = z.output<typeof textPart> | z.output<typeof imagePart>

async function toParts(
  parts: RawPart[],
  i: number,
  options: FetchImageOptions,
): Promise<ContentPart[]> {
  const out: ContentPart[] = []
  for (const [j, p] of parts.entries()) {
    if (p.type === 'text') {
      out.push({ type: 'text', text: p.text })
      continue
    }
    const url = typeof p.image_url === 'string' ? p.image_url : p.image_url.url
    try {
      out.push({ type: 'image', ...(await fetchImage(url, options)) })
    } catch (e) {
      if (!(e instanceof InvalidOptionError)) throw e
      throw new InvalidRequestError(
        `Invalid image: ${e.shortMessage.replace(/^Invalid value for "image_url": /, '')}.`,
        `messages[${i}].content[${j}].image_url.url`,
        'invalid_image_url',
      )
    }
  }
  return out
}

export const hasImages = (messages: ChatMessage[]) =>
  messages.some(
    (m) =>
      Array.isArray(m.content) && m.content.some((p) => p.type === 'image'),
  )
