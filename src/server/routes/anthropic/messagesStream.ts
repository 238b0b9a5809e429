// The streamed Anthropic message, as documented: `message_start` (usage
// with the prompt's input tokens), `ping`, per content block
// `content_block_start` / `content_block_delta`... / `content_block_stop`,
// then `message_delta` (stop_reason, stop_sequence, final usage) and
// `message_stop`. A failure after the stream began is an `error` event.
import type { Response } from 'express'
import type { ChatOutputParser } from '../../../engine/reasoning/chatOutputParser.ts'
import type { ServerContext } from '../../context.ts'
import { toAnthropicError } from '../../errors.ts'
import { anthropicId, stopReasonOf, usageOf } from '../../format/anthropic.ts'
import {
  AnthropicBlocks,
  type BlockEvent,
} from '../../format/anthropicBlocks.ts'
import { countPromptTokens } from '../../generation/countPromptTokens.ts'
import type { Generation } from '../../generation/startGeneration.ts'
import type { GenerationRequest } from '../../generation/types.ts'
import { SseWriter } from '../../sse.ts'

export async function streamMessage(
  ctx: ServerContext,
  res: Response,
  gen: Generation,
  parser: ChatOutputParser,
  request: GenerationRequest,
  signal: AbortSignal,
): Promise<void> {
  const sse = new SseWriter(res)
  const send = (events: BlockEvent[]) => {
    for (const e of events) sse.event(e.type, e)
  }
  const blocks = new AnthropicBlocks()
  try {
    const inputTokens = countPromptTokens(gen.lease.model, request, {
      reasoningTags: ctx.reasoningTags,
    })
    sse.open()
    sse.event('message_start', {
      type: 'message_start',
      message: {
        id: anthropicId('msg'),
        type: 'message',
        role: 'assistant',
        model: gen.lease.identifier,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: inputTokens,
          output_tokens: 0,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
        },
      },
    })
    sse.event('ping', { type: 'ping' })
    for await (const chunk of gen.chunks) {
      if (signal.aborted) break
      send(blocks.push(parser.push(chunk.text, chunk.tokens.length)))
    }
    if (signal.aborted) {
      gen.cancel()
      return
    }
    send(blocks.push(parser.flush()))
    send(blocks.finish())
    const stats = await gen.stats()
    sse.event('message_delta', {
      type: 'message_delta',
      delta: {
        stop_reason: stopReasonOf(stats, blocks.calledTools),
        stop_sequence: stats.stopString ?? null,
      },
      usage: usageOf(stats),
    })
    sse.event('message_stop', { type: 'message_stop' })
    sse.end()
  } catch (error) {
    gen.cancel()
    if (!res.headersSent) throw error
    sse.event('error', toAnthropicError(error).body)
    sse.end()
  }
}
