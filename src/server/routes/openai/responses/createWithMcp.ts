// POST /v1/responses with MCP tools (`{"type": "mcp", ...}`): the server
// lists each MCP server's tools (an `mcp_list_tools` item), lets the model
// call them, runs the calls on their servers (`mcp_call` items with the
// output), and generates again until the model answers (mcp/toolLoop.ts).
// Streamed, the events of every round follow one another in one response.
import type { Request, Response } from 'express'
import type { ServerContext } from '../../../context.ts'
import { toHttpError } from '../../../errors.ts'
import {
  finishedResponse,
  responseHead,
  statusOf,
} from '../../../format/responseObject.ts'
import {
  type OutputEvent,
  ResponseOutput,
} from '../../../format/responseOutput.ts'
import { openMcpTools, runToolLoop } from '../../../mcp/toolLoop.ts'
import { clientAbortSignal, SseWriter } from '../../../sse.ts'
import type { ResponsesRequest } from '../../../validate/responses/responsesRequest.ts'
import { storeResponse } from './storeResponse.ts'

export async function createWithMcp(
  ctx: ServerContext,
  req: Request,
  res: Response,
  request: ResponsesRequest,
): Promise<void> {
  const clientTools = (request.generation.structured?.tools ?? []).map(
    (t) => t.function.name,
  )
  const tools = await openMcpTools(ctx, request.mcp, clientTools)
  const signal = clientAbortSignal(req, res)
  const labels = new Map(
    [...tools.byName].map(([name, session]) => [name, session.label]),
  )
  const output = new ResponseOutput(labels)
  const stream = request.generation.stream
  const sse = new SseWriter(res)
  let head = responseHead(request.body, request.body.model)
  let sequence = 0
  // Events wait until the first generation started (errors before that
  // are plain HTTP errors).
  let pending: OutputEvent[] | null = tools.sessions.flatMap((s) =>
    output.listTools(s.label, s.tools),
  )
  const send = (events: OutputEvent[]) => {
    if (!stream) return
    if (pending) {
      pending.push(...events)
      return
    }
    for (const e of events)
      sse.event(e.type, { ...e, sequence_number: sequence++ })
  }
  try {
    const result = await runToolLoop({
      ctx,
      request: request.generation,
      tools,
      signal,
      consume: async (gen, round) => {
        if (pending) {
          head = { ...head, model: gen.lease.identifier }
          const queued = pending
          pending = null
          if (stream) sse.open()
          send([
            { type: 'response.created', response: head },
            { type: 'response.in_progress', response: head },
            ...queued,
          ])
        }
        for await (const chunk of gen.chunks) {
          if (signal.aborted) break
          send(output.push(round.push(chunk.text, chunk.tokens.length)))
        }
        if (!signal.aborted) send(output.push(round.flush()))
      },
      onCall: (call, r) => send(output.completeCall(call.id, r)),
    })
    if (signal.aborted) return
    send(output.finish(statusOf(result.stats)))
    const response = finishedResponse(
      head,
      output.items,
      result.stats,
      result.reasoningTokens,
    )
    storeResponse(ctx, request, response)
    if (!stream) {
      res.json(response)
      return
    }
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
    if (!stream || pending) throw error
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
  } finally {
    await tools.close()
  }
}
