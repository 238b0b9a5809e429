// POST /api/v1/chat: LM Studio's native chat. Stateful threads through
// `response_id` / `previous_response_id` (unless `store: false`), per-request
// `context_length` for JIT loads, the `reasoning` setting, output items of
// type `reasoning` and `message`, and named stream events (chat.start,
// model_load.*, prompt_processing.*, reasoning.*, message.*, error, chat.end).
import { randomBytes } from 'node:crypto'
import type { RequestHandler } from 'express'
import { z } from 'zod'
import type {
  ChatMessage,
  ContentPart,
  GenerationStats,
} from '../../../engine/types.ts'
import type { ServerContext } from '../../context.ts'
import { InvalidRequestError, toV1ErrorEvent } from '../../errors.ts'
import { type ChatDelta, ChatOutput } from '../../format/chatOutput.ts'
import { v1Stats } from '../../format/lmstudio.ts'
import {
  type Generation,
  startGeneration,
} from '../../generation/startGeneration.ts'
import { clientAbortSignal, SseWriter } from '../../sse.ts'
import { parseBody } from '../../validate/parseBody.ts'
import { samplingFields, toGenerateOptions } from '../../validate/sampling.ts'

const item = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('message'), content: z.string() }),
  z.strictObject({ type: z.literal('image'), data_url: z.string() }),
])
const schema = z.strictObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(item).min(1)]),
  system_prompt: z.string().optional(),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().gt(0).max(1).optional(),
  top_k: z.number().int().min(-1).optional(),
  min_p: z.number().min(0).max(1).optional(),
  repeat_penalty: z.number().gt(0).optional(),
  max_output_tokens: z.number().int().min(-1).optional(),
  seed: z.number().int().optional(),
  draft_model: samplingFields.draft_model,
  num_draft_tokens: samplingFields.num_draft_tokens,
  reasoning: z.enum(['off', 'low', 'medium', 'high', 'on']).optional(),
  context_length: z.number().int().positive().optional(),
  store: z.boolean().optional(),
  previous_response_id: z.string().optional(),
  integrations: z.array(z.unknown()).optional(),
  ttl: z.number().int().positive().optional(),
})

export function chatV1(ctx: ServerContext): RequestHandler {
  return async (req, res) => {
    const b = parseBody(schema, req.body)
    if (b.integrations?.length) {
      throw new InvalidRequestError(
        "'integrations' (MCP) are not supported yet.",
        'integrations',
        'unsupported_value',
      )
    }
    const history = b.previous_response_id
      ? ctx.threads.get(b.previous_response_id)
      : []
    if (!history) {
      throw new InvalidRequestError(
        `Unknown previous_response_id "${b.previous_response_id}".`,
        'previous_response_id',
        'not_found',
      )
    }
    const messages: ChatMessage[] = [...history]
    if (b.system_prompt && !history.length)
      messages.push({ role: 'system', content: b.system_prompt })
    messages.push({ role: 'user', content: toContent(b.input) })
    const request = {
      model: b.model,
      input: messages,
      options: toGenerateOptions({ ...b, max_tokens: b.max_output_tokens }),
      stream: !!b.stream,
      includeUsage: false,
      ttlSeconds: b.ttl,
      contextLength: b.context_length,
      draftModel: b.draft_model,
      reasoningSetting: b.reasoning,
    }
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
    let gen: Generation
    try {
      gen = await startGeneration(ctx.residency, request, signal, {
        counters: ctx.generations,
        reasoningTags: ctx.reasoningTags,
        onLoadStart: (id) => {
          open(id)
          if (b.stream)
            sse.event('model_load.start', {
              type: 'model_load.start',
              model_instance_id: id,
            })
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
    if (b.stream && gen.lease.loadTimeMs != null) {
      sse.event('model_load.progress', {
        type: 'model_load.progress',
        model_instance_id: id,
        progress: 1,
      })
      sse.event('model_load.end', {
        type: 'model_load.end',
        model_instance_id: id,
        load_time_seconds: Math.round(gen.lease.loadTimeMs) / 1000,
      })
    }
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
      sse.event('prompt_processing.start', { type: 'prompt_processing.start' })
      sse.event('prompt_processing.progress', {
        type: 'prompt_processing.progress',
        progress: 1,
      })
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

function toContent(
  input: string | z.output<typeof item>[],
): string | ContentPart[] {
  if (typeof input === 'string') return input
  return input.map((p, i): ContentPart => {
    if (p.type === 'message') return { type: 'text', text: p.content }
    const match = p.data_url.match(/^data:(image\/[\w.+-]+);base64,(.*)$/s)
    if (!match?.[1] || match[2] === undefined) {
      throw new InvalidRequestError(
        'Images must be base64 data URLs.',
        `input[${i}].data_url`,
        'invalid_image_url',
      )
    }
    return {
      type: 'image',
      mimeType: match[1],
      data: new Uint8Array(Buffer.from(match[2], 'base64')),
    }
  })
}
