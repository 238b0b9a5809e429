// Anthropic `system` + `messages` -> the engine's ChatMessage[]. Text and
// text documents become text parts, images (base64 or URL) image parts,
// assistant `tool_use` blocks OpenAI-style `tool_calls`, and each user
// `tool_result` a `tool` message (placed before the rest of that turn, as
// Anthropic orders them) that must answer a `tool_use` of the assistant turn
// right before it. Past `thinking` blocks are kept as the turn's reasoning.
import { InvalidOptionError } from '../../../engine/errors.ts'
import type {
  ChatMessage,
  ContentPart,
  ToolCall,
} from '../../../engine/types.ts'
import {
  type FetchImageOptions,
  fetchImage,
} from '../../../engine/vision/fetchImage.ts'
import { InvalidRequestError } from '../../errors.ts'
import type { ContentBlockParam, MessageParam } from './schema.ts'

type ImageBlock = Extract<ContentBlockParam, { type: 'image' }>

export async function toChatMessages(
  system: string | { text: string }[] | undefined,
  messages: MessageParam[],
  images: FetchImageOptions = {},
): Promise<ChatMessage[]> {
  const out: ChatMessage[] = []
  const systemText =
    typeof system === 'string' ? system : system?.map((b) => b.text).join('\n')
  if (systemText) out.push({ role: 'system', content: systemText })
  let lastCalls = new Map<string, string>() // tool_use id -> tool name
  for (const [i, m] of messages.entries()) {
    const blocks: ContentBlockParam[] =
      typeof m.content === 'string'
        ? [{ type: 'text', text: m.content }]
        : m.content
    if (m.role === 'assistant') {
      const message = assistantMessage(blocks, i)
      lastCalls = new Map(
        (message.tool_calls ?? []).map((c) => [c.id, c.function.name]),
      )
      out.push(message)
      continue
    }
    const parts: ContentPart[] = []
    for (const [j, b] of blocks.entries()) {
      const at = `messages[${i}].content[${j}]`
      if (b.type === 'tool_result') {
        const name = lastCalls.get(b.tool_use_id)
        if (name === undefined)
          throw new InvalidRequestError(
            `Invalid '${at}.tool_use_id': no tool_use block with id "${b.tool_use_id}" in the assistant message right before.`,
            `${at}.tool_use_id`,
            'invalid_value',
          )
        out.push({
          role: 'tool',
          tool_call_id: b.tool_use_id,
          name,
          content: await toolResultContent(b, at, images),
        })
      } else if (b.type === 'text') parts.push({ type: 'text', text: b.text })
      else if (b.type === 'document')
        parts.push({ type: 'text', text: documentText(b) })
      else if (b.type === 'image') parts.push(await toImage(b, at, images))
      else
        throw new InvalidRequestError(
          `Invalid '${at}.type': "${b.type}" blocks belong in assistant messages.`,
          `${at}.type`,
          'invalid_value',
        )
    }
    lastCalls = new Map()
    if (parts.length > 0) out.push({ role: 'user', content: simplify(parts) })
  }
  return out
}

function assistantMessage(blocks: ContentBlockParam[], i: number): ChatMessage {
  const parts: ContentPart[] = []
  const calls: ToolCall[] = []
  let reasoning = ''
  for (const [j, b] of blocks.entries()) {
    if (b.type === 'text') parts.push({ type: 'text', text: b.text })
    else if (b.type === 'thinking') reasoning += b.thinking
    else if (b.type === 'redacted_thinking') continue
    else if (b.type === 'tool_use')
      calls.push({
        id: b.id,
        type: 'function',
        function: { name: b.name, arguments: JSON.stringify(b.input) },
      })
    else
      throw new InvalidRequestError(
        `Invalid 'messages[${i}].content[${j}].type': "${b.type}" blocks are not allowed in assistant messages.`,
        `messages[${i}].content[${j}].type`,
        'invalid_value',
      )
  }
  const text = parts.map((p) => (p.type === 'text' ? p.text : '')).join('')
  const message: ChatMessage = {
    role: 'assistant',
    content: calls.length > 0 && !text ? null : text,
  }
  if (calls.length > 0) message.tool_calls = calls
  if (reasoning)
    (
      message as ChatMessage & { reasoning_content?: string }
    ).reasoning_content = reasoning
  return message
}

async function toolResultContent(
  b: Extract<ContentBlockParam, { type: 'tool_result' }>,
  at: string,
  images: FetchImageOptions,
): Promise<string | ContentPart[]> {
  const prefix = b.is_error ? 'Error: ' : ''
  if (b.content === undefined || typeof b.content === 'string')
    return prefix + (b.content ?? '')
  const parts: ContentPart[] = []
  for (const [k, c] of b.content.entries())
    parts.push(
      c.type === 'text'
        ? { type: 'text', text: c.text }
        : await toImage(c, `${at}.content[${k}]`, images),
    )
  if (prefix) parts.unshift({ type: 'text', text: prefix })
  return simplify(parts)
}

/** All-text content as one string: what every chat template can render. */
function simplify(parts: ContentPart[]): string | ContentPart[] {
  if (parts.some((p) => p.type === 'image')) return parts
  return parts.map((p) => (p.type === 'text' ? p.text : '')).join('\n')
}

function documentText(
  b: Extract<ContentBlockParam, { type: 'document' }>,
): string {
  const head = [b.title, b.context].filter(Boolean).join('\n')
  return head ? `${head}\n\n${b.source.data}` : b.source.data
}

async function toImage(
  b: ImageBlock,
  at: string,
  options: FetchImageOptions,
): Promise<ContentPart> {
  const url =
    b.source.type === 'base64'
      ? `data:${b.source.media_type};base64,${b.source.data}`
      : b.source.url
  try {
    return { type: 'image', ...(await fetchImage(url, options)) }
  } catch (e) {
    if (!(e instanceof InvalidOptionError)) throw e
    throw new InvalidRequestError(
      `Invalid image: ${e.shortMessage.replace(/^Invalid value for "image_url": /, '')}.`,
      `${at}.source`,
      'invalid_image',
    )
  }
}
