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

const textPart = z.strictObject({ type: z.literal('text'), text: z.string() })
const imagePart = z.strictObject({
  type: z.literal('image_url'),
  image_url: z.union([
    z.string(),
    z.strictObject({ url: z.string(), detail: z.string().optional() }),
  ]),
})
// An assistant turn echoed back from a response may hold a refusal part.
const refusalPart = z.strictObject({
  type: z.literal('refusal'),
  refusal: z.string(),
})
const part = z.discriminatedUnion('type', [textPart, imagePart, refusalPart])
const toolCall = z.strictObject({
  id: z.string(),
  type: z.literal('function').default('function'),
  function: z.strictObject({ name: z.string(), arguments: z.string() }),
})

// Strict, but every field a client sends when it echoes a response message
// back (`refusal`, `annotations`, `audio: null`, ...) is accepted.
export const messageSchema = z.strictObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(part), z.null()]).optional(),
  name: z.string().optional(),
  tool_calls: z.array(toolCall).nullish(),
  tool_call_id: z.string().optional(),
  /** A past turn's reasoning (DeepSeek / vLLM name; LM Studio and Ollama say `reasoning`). */
  reasoning_content: z.string().nullish(),
  reasoning: z.string().nullish(),
  refusal: z.string().nullish(),
  annotations: z.array(z.unknown()).nullish(),
  audio: z.null().optional(),
  function_call: z.null().optional(),
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
    if (m.tool_calls?.length) message.tool_calls = m.tool_calls
    const reasoning = m.reasoning_content ?? m.reasoning
    if (m.role === 'assistant' && reasoning)
      message.reasoning_content = reasoning
    if (m.tool_call_id) message.tool_call_id = m.tool_call_id
    out.push(message)
  }
  return out
}

type RawPart = z.output<typeof part>

async function toParts(
  parts: RawPart[],
  i: number,
  options: FetchImageOptions,
): Promise<ContentPart[]> {
  const out: ContentPart[] = []
  for (const [j, p] of parts.entries()) {
    if (p.type === 'text' || p.type === 'refusal') {
      out.push({ type: 'text', text: p.type === 'text' ? p.text : p.refusal })
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
