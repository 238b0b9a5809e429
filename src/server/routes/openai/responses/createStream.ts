// The streamed /v1/responses answer, as documented: response.created and
// response.in_progress (the response without output), the output items'
// events (format/responseOutput.ts), then response.completed — or
// response.incomplete when max_output_tokens cut it off. Every event is
// `event: <type>` + `data: {..., "sequence_number": n}`. A failure after the
// stream began is an `error` event followed by response.failed.
import type { Response } from 'express'
import type { ChatOutputParser } from '../../../../engine/reasoning/chatOutputParser.ts'
import type { ServerContext } from '../../../context.ts'
import { toHttpError } from '../../../errors.ts'
import {
  finishedResponse,
  type ResponseObject,
  statusOf,
} from '../../../format/responseObject.ts'
import {
  type OutputEvent,
  ResponseOutput,
} from '../../../format/responseOutput.ts'
import type { Generation } from '../../../generation/startGeneration.ts'
import { SseWriter } from '../../../sse.ts'
import type { ResponsesRequest } from '../../../validate/responses/responsesRequest.ts'
import { storeResponse } from './storeResponse.ts'

export async function streamResponse(
  ctx: ServerContext,
  res: Response,
  gen: Generation,
  parser: ChatOutputParser,
  request: ResponsesRequest,
  head: ResponseObject,
  signal: AbortSignal,
): Promise<void> {
  const sse = new SseWriter(res)
  let sequence = 0
  const send = (events: OutputEvent[]) => {
    for (const e of events)
      sse.event(e.type, { ...e, sequence_number: sequence++ })
  }
  const output = new ResponseOutput()
  sse.open()
  send([
    { type: 'response.created', response: head },
    { type: 'response.in_progress', response: head },
  ])
  try {
    for await (const chunk of gen.chunks) {
      if (signal.aborted) break
      send(output.push(parser.push(chunk.text, chunk.tokens.length)))
    }
    if (signal.aborted) {
      gen.cancel()
      return
    }
    send(output.push(parser.flush()))
    const stats = await gen.stats()
    send(output.finish(statusOf(stats)))
    const response = finishedResponse(
      head,
      output.items,
      stats,
      parser.reasoningTokens,
    )
    storeResponse(ctx, request, response)
    send([
      {
        type:
          response.status === 'completed'
            ? 'response.completed'
            : 'response.incomplete',
        response,
      },
    ])
    sse.end()
  } catch (error) {
    gen.cancel()
    const { error: e } = toHttpError(error).body
    send([
      { type: 'error', code: e.code, message: e.message, param: e.param },
      {
        type: 'response.failed',
        response: {
          ...head,
          status: 'failed',
          error: { code: e.code ?? 'server_error', message: e.message },
        },
      },
    ])
    sse.end()
  }
}
