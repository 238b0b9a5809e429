// Keeps a finished response for previous_response_id and GET/DELETE, unless
// the request said `store: false`. Input items get ids (`msg_…`) the way
// OpenAI lists them under /v1/responses/{id}/input_items.
import { randomBytes } from 'node:crypto'
import type { ServerContext } from '../../../context.ts'
import type { ResponseObject } from '../../../format/responseObject.ts'
import type { ResponsesRequest } from '../../../validate/responses/responsesRequest.ts'

export function storeResponse(
  ctx: ServerContext,
  request: ResponsesRequest,
  response: ResponseObject,
): void {
  if (request.body.store === false) return
  const input = request.conversation.map((item) =>
    'id' in item && item.id
      ? item
      : {
          id: `${item.type === 'function_call_output' ? 'fco' : 'msg'}_${randomBytes(24).toString('hex')}`,
          ...item,
        },
  )
  ctx.responses.put({ response, input })
}
