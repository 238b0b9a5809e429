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
    // Progress events go out while loading and prefill happen; each value
    // once and increasing. The stream opens at the first of them (or once
    // the generation started), so errors found before any work stay HTTP 4xx.
    const loadProgress = increasing((progress, id: string) =>
      sse.event('model_load.progress', {
        type: 'model_load.progress',
        model_instance_id: id,
        progress,
      }),
    )
    const promptProgress = increasing((progress) =>
      sse.event('prompt_processing.progress', {
        type: 'prompt_processing.progress',
        progress,
      }),
    )
    let instanceId = b.model
    let prompting = false
    const startPrompt = () => {
      if (prompting || !b.stream) return
      prompting = true
      open(instanceId)
      sse.event('prompt_processing.start', { type: 'prompt_processing.start' })
      promptProgress(0, instanceId)
    }
    let gen: Generation
    try {
      gen = await startGeneration(ctx.residency, request, signal, {
        counters: ctx.generations,
        reasoningTags: ctx.reasoningTags,
        onLoadStart: (id) => {
          instanceId = id
          open(id)
          if (!b.stream) return
          sse.event('model_load.start', {
            type: 'model_load.start',
            model_instance_id: id,
          })
          loadProgress(0, id)
        },
        onLoadProgress: (f) => {
          if (b.stream && opened) loadProgress(f, instanceId)
        },
        onLeased: (lease) => {
          instanceId = lease.identifier
          if (!b.stream || lease.loadTimeMs == null) return
          loadProgress(1, instanceId)
          sse.event('model_load.end', {
            type: 'model_load.end',
            model_instance_id: instanceId,
            load_time_seconds: Math.round(lease.loadTimeMs) / 1000,
          })
        },
        onPromptProgress: (f) => {
          if (!b.stream) return
          startPrompt()
          promptProgress(f, instanceId)
        },
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
    if (b.stream) {
      startPrompt()
      promptProgress(1, id)
      sse.event('prompt_processing.end', { type: 'prompt_processing.end' })
    }
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

/** Calls `send` with each value once, only when it grew. */
function increasing(
  send: (progress: number, id: string) => void,
): (progress: number, id: string) => void {
  let last = -1
  return (progress, id) => {
    if (progress <= last) return
    last = progress
    send(progress, id)
  }
}
