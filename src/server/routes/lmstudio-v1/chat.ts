// POST /api/v1/chat: LM Studio's native chat. Stateful threads through
// `response_id` / `previous_response_id` (unless `store: false`), per-request
// `context_length` for JIT loads, the `reasoning` setting, output items of
// type `reasoning` and `message`, and named stream events (chat.start,
// model_load.*, prompt_processing.*, reasoning.*, message.*, error, chat.end).
// With MCP `integrations`, chatWithIntegrations.ts runs the tool loop.
import { randomBytes } from 'node:crypto'
import type { RequestHandler } from 'express'
import type { GenerationStats } from '../../../engine/types.ts'
import type { ServerContext } from '../../context.ts'
import { toV1ErrorEvent } from '../../errors.ts'
import { type ChatDelta, ChatOutput } from '../../format/chatOutput.ts'
import { v1Stats } from '../../format/lmstudio.ts'
import {
  type Generation,
  startGeneration,
} from '../../generation/startGeneration.ts'
import { clientAbortSignal, SseWriter } from '../../sse.ts'
import { chatWithIntegrations } from './chatWithIntegrations.ts'
import { V1ProgressEvents } from './progressEvents.ts'
import { parseV1Chat, toV1Request } from './v1ChatInput.ts'

export function chatV1(ctx: ServerContext): RequestHandler {
  return async (req, res) => {
    const b = parseV1Chat(req.body)
    if (b.integrations?.length) {
      await chatWithIntegrations(ctx, req, res, b)
      return
    }
    const { messages, request } = toV1Request(ctx, b)
    const signal = clientAbortSignal(req, res)
    const sse = new SseWriter(res)
    let opened = false
    const open = (instanceId: string) => {
      if (opened || !b.stream) return
      opened = true
      sse.open()
      sse.event('chat.start', {
        type: 'chat.start',
        model_instance_id: instanceId,
      })
    }
    const emit = (type: string, data: object = {}) => {
      if (b.stream) sse.event(type, { type, ...data })
    }
    const progress = new V1ProgressEvents(b.model, emit, open)
    let gen: Generation
    try {
      gen = await startGeneration(ctx.residency, request, signal, {
        counters: ctx.generations,
        reasoningTags: ctx.reasoningTags,
        ...progress.hooks(),
      })
    } catch (error) {
      if (!opened) throw error
      sse.event('error', toV1ErrorEvent(error))
      sse.event('chat.end', {
        type: 'chat.end',
        result: { model_instance_id: b.model, output: [], stats: null },
      })
      sse.end()
      return
    }
    const id = gen.lease.identifier
    open(id)
    const output = new ChatOutput(gen.output)
    const result = (stats: GenerationStats | null) => {
      const text = output.content
      const items = [
        ...(output.reasoning
          ? [{ type: 'reasoning', content: output.reasoning }]
          : []),
        { type: 'message', content: text },
      ]
      const body = {
        model_instance_id: id,
        output: items,
        stats: stats
          ? v1Stats(stats, gen.lease.loadTimeMs, output.reasoningTokens)
          : null,
      }
      if (b.store === false) return body
      const responseId = `resp_${randomBytes(24).toString('hex')}`
      ctx.threads.set(responseId, [
        ...messages,
        {
          role: 'assistant',
          content: text,
          ...(output.reasoning ? { reasoning_content: output.reasoning } : {}),
        },
      ])
      return { ...body, response_id: responseId }
    }
    progress.endPrompt()
    // reasoning.start/delta/end, then message.start/delta/end.
    let part: 'reasoning' | 'message' | undefined
    const enter = (next: 'reasoning' | 'message') => {
      if (part === next) return
      if (part) sse.event(`${part}.end`, { type: `${part}.end` })
      part = next
      sse.event(`${next}.start`, { type: `${next}.start` })
    }
    const send = (deltas: ChatDelta[]) => {
      if (!b.stream) return
      for (const d of deltas) {
        if ('reasoning' in d) {
          enter('reasoning')
          sse.event('reasoning.delta', {
            type: 'reasoning.delta',
            content: d.reasoning,
          })
        } else if ('content' in d) {
          enter('message')
          sse.event('message.delta', {
            type: 'message.delta',
            content: d.content,
          })
        }
      }
    }
    try {
      for await (const chunk of gen.chunks) {
        if (signal.aborted) break
        send(output.push(chunk.text, chunk.tokens.length))
      }
      if (signal.aborted) return gen.cancel()
      send(output.flush())
      const stats = await gen.stats()
      if (!b.stream) return void res.json(result(stats))
      enter('message')
      sse.event('message.end', { type: 'message.end' })
      sse.event('chat.end', { type: 'chat.end', result: result(stats) })
    } catch (error) {
      gen.cancel()
      if (!b.stream) throw error
      sse.event('error', toV1ErrorEvent(error))
      sse.event('chat.end', { type: 'chat.end', result: result(null) })
    }
    sse.end()
  }
}
