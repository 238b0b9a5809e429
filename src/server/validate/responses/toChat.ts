// Responses API input items -> the engine's ChatMessage[]. `instructions`
// lead as a system message; `developer` is `system`; an assistant message,
// the function calls after it and the reasoning before it form one
// assistant turn (`tool_calls`, `reasoning_content`); each
// `function_call_output` becomes a `tool` message answering a call made
// earlier in the conversation. Images are data URIs or fetched URLs.
import { InvalidOptionError } from '../../../engine/errors.ts'
import type { ChatMessage, ContentPart } from '../../../engine/types.ts'
import {
  type FetchImageOptions,
  fetchImage,
} from '../../../engine/vision/fetchImage.ts'
import { InvalidRequestError } from '../../errors.ts'
import type { InputItem } from './schema.ts'

type Assistant = ChatMessage & { reasoning_content?: string }
type Part = Extract<
  Exclude<Extract<InputItem, { role: string }>['content'], string>[number],
  object
>

export async function toChatMessages(
  instructions: string | null | undefined,
  items: InputItem[],
  /** How item i is named in errors, e.g. `input[3]`. */
  where: (i: number) => string,
  images: FetchImageOptions = {},
): Promise<ChatMessage[]> {
  const out: ChatMessage[] = []
  if (instructions) out.push({ role: 'system', content: instructions })
  const calls = new Map<string, string>() // call_id -> name
  let reasoning = ''
  // The assistant turn function calls attach to (until a non-assistant item).
  let turn: Assistant | undefined
  const openTurn = (): Assistant => {
    if (turn) return turn
    turn = { role: 'assistant', content: null }
    out.push(turn)
    if (reasoning) turn.reasoning_content = reasoning
    reasoning = ''
    return turn
  }
  for (const [i, item] of items.entries()) {
    if (item.type === 'reasoning') {
      const text = item.content?.length
        ? item.content.map((c) => c.text).join('')
        : item.summary.map((s) => s.text).join('\n')
      if (turn) turn.reasoning_content = (turn.reasoning_content ?? '') + text
      else reasoning += text
      continue
    }
    if (item.type === 'function_call') {
      const t = openTurn()
      t.tool_calls = [
        ...(t.tool_calls ?? []),
        {
          id: item.call_id,
          type: 'function',
          function: { name: item.name, arguments: item.arguments },
        },
      ]
      calls.set(item.call_id, item.name)
      continue
    }
    if (item.type === 'function_call_output') {
      const name = calls.get(item.call_id)
      if (name === undefined)
        throw new InvalidRequestError(
          `No tool call found for function call output with call_id ${item.call_id}.`,
          `${where(i)}.call_id`,
          'invalid_value',
        )
      turn = undefined
      out.push({
        role: 'tool',
        tool_call_id: item.call_id,
        name,
        content:
          typeof item.output === 'string'
            ? item.output
            : await toContent(item.output, `${where(i)}.output`, images),
      })
      continue
    }
    const content =
      typeof item.content === 'string'
        ? item.content
        : await toContent(item.content, `${where(i)}.content`, images)
    if (item.role === 'assistant') {
      turn = undefined
      const t = openTurn()
      t.content =
        typeof content === 'string'
          ? (typeof t.content === 'string' ? t.content : '') + content
          : content
      continue
    }
    turn = undefined
    out.push({
      role: item.role === 'developer' ? 'system' : item.role,
      content,
    })
  }
  return out
}

async function toContent(
  parts: Part[],
  at: string,
  images: FetchImageOptions,
): Promise<string | ContentPart[]> {
  const out: ContentPart[] = []
  for (const [j, p] of parts.entries()) {
    if (p.type === 'input_image') {
      try {
        out.push({ type: 'image', ...(await fetchImage(p.image_url, images)) })
      } catch (e) {
        if (!(e instanceof InvalidOptionError)) throw e
        throw new InvalidRequestError(
          `Invalid image: ${e.shortMessage.replace(/^Invalid value for "image_url": /, '')}.`,
          `${at}[${j}].image_url`,
          'invalid_image_url',
        )
      }
    } else
      out.push({
        type: 'text',
        text: p.type === 'refusal' ? p.refusal : p.text,
      })
  }
  if (out.some((p) => p.type === 'image')) return out
  return out.map((p) => (p.type === 'text' ? p.text : '')).join('')
}
