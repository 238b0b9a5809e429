// Keeps a finished response for previous_response_id and GET/DELETE, unless
// the request said `store: false`. Input items are kept the way OpenAI lists
// them under /v1/responses/{id}/input_items: with an id (`msg_…`), messages
// typed and their string content as one input_text (output_text) part.
import { randomBytes } from 'node:crypto'
import type { ServerContext } from '../../../context.ts'
import type { ResponseObject } from '../../../format/responseObject.ts'
import type { ResponsesRequest } from '../../../validate/responses/responsesRequest.ts'
import type { InputItem } from '../../../validate/responses/schema.ts'

export function storeResponse(
  ctx: ServerContext,
  request: ResponsesRequest,
  response: ResponseObject,
): void {
  if (request.body.store === false) return
  const input = request.conversation.map(normalize)
  ctx.responses.put({ response, input })
}

function normalize(item: InputItem): InputItem & { id: string } {
  const id =
    'id' in item && item.id
      ? item.id
      : `${item.type === 'function_call_output' ? 'fco' : 'msg'}_${randomBytes(24).toString('hex')}`
  if (item.type !== undefined && item.type !== 'message') return { ...item, id }
  const m = item as Extract<InputItem, { role: string }>
  const content =
    typeof m.content === 'string'
      ? [
          m.role === 'assistant'
            ? { type: 'output_text' as const, text: m.content, annotations: [] }
            : { type: 'input_text' as const, text: m.content },
        ]
      : m.content
  return { ...m, id, type: 'message', content }
}
