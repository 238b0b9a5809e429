// POST /v1/responses (OpenAI Responses API): runs the conversation (with
// `previous_response_id`'s stored turns first) and answers with a `response`
// whose output items are the model's reasoning, message and function calls;
// `stream: true` hands over to createStream.ts. Stored unless `store: false`.
import type { RequestHandler } from 'express'
import { ChatOutputParser } from '../../../../engine/reasoning/chatOutputParser.ts'
import type { ServerContext } from '../../../context.ts'
import {
  finishedResponse,
  responseHead,
  statusOf,
} from '../../../format/responseObject.ts'
import { ResponseOutput } from '../../../format/responseOutput.ts'
import { startGeneration } from '../../../generation/startGeneration.ts'
import { clientAbortSignal } from '../../../sse.ts'
import { parseResponsesRequest } from '../../../validate/responses/responsesRequest.ts'
import { streamResponse } from './createStream.ts'
import { storeResponse } from './storeResponse.ts'

export function createResponse(ctx: ServerContext): RequestHandler {
  return async (req, res) => {
    const request = await parseResponsesRequest(req.body, ctx.responses)
    const signal = clientAbortSignal(req, res)
    const gen = await startGeneration(
      ctx.residency,
      request.generation,
      signal,
      {
        counters: ctx.generations,
        reasoningTags: ctx.reasoningTags,
      },
    )
    const parser = new ChatOutputParser(gen.output)
    const head = responseHead(request.body, gen.lease.identifier)
    if (request.generation.stream) {
      await streamResponse(ctx, res, gen, parser, request, head, signal)
      return
    }
    const output = new ResponseOutput()
    for await (const chunk of gen.chunks)
      output.push(parser.push(chunk.text, chunk.tokens.length))
    output.push(parser.flush())
    const stats = await gen.stats()
    output.finish(statusOf(stats))
    if (signal.aborted) return
    const response = finishedResponse(
      head,
      output.items,
      stats,
      parser.reasoningTokens,
    )
    storeResponse(ctx, request, response)
    res.json(response)
  }
}
