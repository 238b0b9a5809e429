// POST /v1/responses (OpenAI Responses API): runs the conversation (with
// `previous_response_id`'s stored turns first) and answers with a `response`
// whose output items are the model's reasoning, message and function calls;
// `stream: true` hands over to createStream.ts. Stored unless `store: false`.
import type { RequestHandler } from 'express'
import { ContextOverflowError } from '../../../../engine/errors.ts'
import { ChatOutputParser } from '../../../../engine/reasoning/chatOutputParser.ts'
import type { ServerContext } from '../../../context.ts'
import {
  finishedResponse,
  responseHead,
  statusOf,
} from '../../../format/responseObject.ts'
import { ResponseOutput } from '../../../format/responseOutput.ts'
import {
  type Generation,
  startGeneration,
} from '../../../generation/startGeneration.ts'
import { dropOldestTurn } from '../../../generation/truncateOldest.ts'
import { clientAbortSignal } from '../../../sse.ts'
import {
  parseResponsesRequest,
  type ResponsesRequest,
} from '../../../validate/responses/responsesRequest.ts'
import { streamResponse } from './createStream.ts'
import { storeResponse } from './storeResponse.ts'

export function createResponse(ctx: ServerContext): RequestHandler {
  return async (req, res) => {
    const request = await parseResponsesRequest(req.body, ctx.responses)
    const signal = clientAbortSignal(req, res)
    const gen = await startTruncating(ctx, request, signal)
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

/** startGeneration; with `truncation: "auto"`, oldest turns drop until it fits. */
async function startTruncating(
  ctx: ServerContext,
  request: ResponsesRequest,
  signal: AbortSignal,
): Promise<Generation> {
  let generation = request.generation
  while (true) {
    try {
      return await startGeneration(ctx.residency, generation, signal, {
        counters: ctx.generations,
        reasoningTags: ctx.reasoningTags,
      })
    } catch (e) {
      const shorter =
        e instanceof ContextOverflowError &&
        request.body.truncation === 'auto' &&
        Array.isArray(generation.input)
          ? dropOldestTurn(generation.input)
          : undefined
      if (!shorter) throw e
      generation = { ...generation, input: shorter }
    }
  }
}
