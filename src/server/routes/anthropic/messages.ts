// POST /v1/messages (Anthropic Messages): runs the request like a chat
// completion and answers with a `message` whose content blocks are the
// model's thinking, text and tool_use calls; `stream: true` hands over to
// messagesStream.ts. A client that disconnects cancels the generation.
import type { RequestHandler } from 'express'
import { ChatOutputParser } from '../../../engine/reasoning/chatOutputParser.ts'
import type { ServerContext } from '../../context.ts'
import { anthropicId, stopReasonOf, usageOf } from '../../format/anthropic.ts'
import { AnthropicBlocks } from '../../format/anthropicBlocks.ts'
import { startGeneration } from '../../generation/startGeneration.ts'
import { clientAbortSignal } from '../../sse.ts'
import { checkAnthropicHeaders } from '../../validate/anthropic/headers.ts'
import { parseMessagesRequest } from '../../validate/anthropic/messagesRequest.ts'
import { streamMessage } from './messagesStream.ts'

export function messages(ctx: ServerContext): RequestHandler {
  return async (req, res) => {
    checkAnthropicHeaders(req)
    const request = await parseMessagesRequest(req.body)
    res.setHeader('request-id', anthropicId('req'))
    const signal = clientAbortSignal(req, res)
    const gen = await startGeneration(ctx.residency, request, signal, {
      counters: ctx.generations,
      reasoningTags: ctx.reasoningTags,
    })
    const parser = new ChatOutputParser({
      ...gen.output,
      newId: () => anthropicId('toolu'),
    })
    if (request.stream) {
      await streamMessage(ctx, res, gen, parser, request, signal)
      return
    }
    const blocks = new AnthropicBlocks()
    for await (const chunk of gen.chunks)
      blocks.push(parser.push(chunk.text, chunk.tokens.length))
    blocks.push(parser.flush())
    blocks.finish()
    const stats = await gen.stats()
    if (signal.aborted) return
    res.json({
      id: anthropicId('msg'),
      type: 'message',
      role: 'assistant',
      model: gen.lease.identifier,
      content: blocks.content,
      stop_reason: stopReasonOf(stats, blocks.calledTools),
      stop_sequence: stats.stopString ?? null,
      usage: usageOf(stats),
    })
  }
}
