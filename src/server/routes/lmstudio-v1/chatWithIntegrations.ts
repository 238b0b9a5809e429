// POST /api/v1/chat with `integrations` (MCP servers, as LM Studio): the
// server gives the model the servers' tools, runs its calls and generates
// again until it answers (mcp/toolLoop.ts). The output holds `reasoning`,
// `tool_call` ({tool, arguments, output, provider_info}), `invalid_tool_call`
// and `message` items; streamed, tool_call.start / arguments / success /
// failure events sit between the reasoning.* and message.* events.
import { randomBytes } from 'node:crypto'
import type { Request, Response } from 'express'
import type { ParsedToolCall } from '../../../engine/structured/types.ts'
import type { ChatMessage } from '../../../engine/types.ts'
import type { ServerContext } from '../../context.ts'
import { toV1ErrorEvent } from '../../errors.ts'
import { v1Stats } from '../../format/lmstudio.ts'
import type { McpServerRef } from '../../mcp/McpHub.ts'
import {
  type McpCallResult,
  openMcpTools,
  runToolLoop,
} from '../../mcp/toolLoop.ts'
import { clientAbortSignal, SseWriter } from '../../sse.ts'
import { V1ProgressEvents } from './progressEvents.ts'
import {
  toV1Request,
  type V1ChatBody,
  type V1Integration,
} from './v1ChatInput.ts'

type ProviderInfo =
  | { type: 'plugin'; plugin_id: string }
  | { type: 'ephemeral_mcp'; server_label: string }

function toRef(i: V1Integration): { ref: McpServerRef; info: ProviderInfo } {
  if (typeof i === 'string' || i.type === 'plugin') {
    const id = typeof i === 'string' ? i : i.id
    const label = id.slice('mcp/'.length)
    const allowed = typeof i === 'string' ? undefined : i.allowed_tools
    return {
      ref: { label, ...(allowed ? { allowedTools: allowed } : {}) },
      info: { type: 'plugin', plugin_id: id },
    }
  }
  return {
    ref: {
      label: i.server_label,
      url: i.server_url,
      headers: i.headers,
      ...(i.allowed_tools ? { allowedTools: i.allowed_tools } : {}),
    },
    info: { type: 'ephemeral_mcp', server_label: i.server_label },
  }
}

const parseArgs = (text: string): Record<string, unknown> | undefined => {
  try {
    const v = text.trim() ? JSON.parse(text) : {}
    return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined
  } catch {
    return undefined
  }
}

export async function chatWithIntegrations(
  ctx: ServerContext,
  req: Request,
  res: Response,
  b: V1ChatBody,
): Promise<void> {
  const { request } = toV1Request(ctx, b)
  const refs = (b.integrations ?? []).map(toRef)
  const tools = await openMcpTools(
    ctx,
    refs.map((r, i) => ({ ref: r.ref, param: `integrations[${i}]` })),
    [],
  )
  const infoOf = new Map(
    [...tools.byName].map(([name, s]) => [
      name,
      refs.find((r) => r.ref.label === s.label)?.info,
    ]),
  )
  const signal = clientAbortSignal(req, res)
  const sse = new SseWriter(res)
  const emit = (type: string, data: object = {}) => {
    if (b.stream) sse.event(type, { type, ...data })
  }
  const output: object[] = []
  let instance = b.model
  let part: 'reasoning' | 'message' | undefined
  let text = ''
  const close = () => {
    if (!part) return
    emit(`${part}.end`)
    if (text) output.push({ type: part, content: text })
    part = undefined
    text = ''
  }
  const write = (kind: 'reasoning' | 'message', delta: string) => {
    if (part !== kind) {
      close()
      part = kind
      emit(`${kind}.start`)
    }
    text += delta
    emit(`${kind}.delta`, { content: delta })
  }
  let started = false
  const begin = (id: string) => {
    if (started) return
    started = true
    instance = id
    if (b.stream) sse.open()
    emit('chat.start', { model_instance_id: id })
  }
  const progress = new V1ProgressEvents(b.model, emit, begin)
  try {
    const result = await runToolLoop({
      ctx,
      request,
      tools,
      signal,
      hooks: progress.hooks(),
      consume: async (gen, round) => {
        begin(gen.lease.identifier)
        progress.endPrompt()
        const handle = (events: ReturnType<typeof round.push>) => {
          for (const e of events) {
            if (e.type === 'reasoning' && e.text) write('reasoning', e.text)
            else if (e.type === 'content' && e.text) write('message', e.text)
            else if (e.type === 'toolCallStart') {
              close()
              emit('tool_call.start', {
                tool: e.name,
                provider_info: infoOf.get(e.name),
              })
            }
          }
        }
        for await (const chunk of gen.chunks) {
          if (signal.aborted) break
          handle(round.push(chunk.text, chunk.tokens.length))
        }
        if (!signal.aborted) handle(round.flush())
        close()
      },
      onCallStart: (call) =>
        emit('tool_call.arguments', {
          tool: call.name,
          arguments: parseArgs(call.arguments) ?? {},
          provider_info: infoOf.get(call.name),
        }),
      onCall: (call, r) => {
        output.push(callItem(call, r, infoOf.get(call.name)))
      },
    })
    close()
    if (signal.aborted) return
    // A call naming no tool of the integrations (parsed, not constrained, as
    // Harmony's) is LM Studio's invalid_tool_call of type invalid_name.
    for (const call of result.calls)
      if (!tools.byName.has(call.name)) output.push(invalidName(call))
    const body = {
      model_instance_id: instance,
      output,
      stats: v1Stats(result.stats, null, result.reasoningTokens),
      ...store(ctx, b, result.messages, output),
    }
    if (!b.stream) {
      res.json(body)
      return
    }
    emit('chat.end', { result: body })
    sse.end()
  } catch (error) {
    if (!b.stream || !started) throw error
    close()
    emit('error', toV1ErrorEvent(error))
    emit('chat.end', {
      result: { model_instance_id: instance, output, stats: null },
    })
    sse.end()
  } finally {
    await tools.close()
  }

  function invalidName(call: ParsedToolCall) {
    const args = parseArgs(call.arguments)
    const reason = `The model called "${call.name}", which no integration provides.`
    const metadata = {
      type: 'invalid_name',
      tool_name: call.name,
      ...(args ? { arguments: args } : {}),
    }
    emit('tool_call.failure', { reason, metadata })
    return { type: 'invalid_tool_call', reason, metadata }
  }

  function callItem(
    call: ParsedToolCall,
    r: McpCallResult,
    info?: ProviderInfo,
  ) {
    const args = parseArgs(call.arguments)
    if ('output' in r) {
      emit('tool_call.success', {
        tool: call.name,
        arguments: args ?? {},
        output: r.output,
        provider_info: info,
      })
      return {
        type: 'tool_call',
        tool: call.name,
        arguments: args ?? {},
        output: r.output,
        provider_info: info,
      }
    }
    const metadata = {
      type: 'invalid_arguments',
      tool_name: call.name,
      ...(args ? { arguments: args } : {}),
      provider_info: info,
    }
    emit('tool_call.failure', { reason: r.error, metadata })
    return { type: 'invalid_tool_call', reason: r.error, metadata }
  }
}

/** Stores the thread (with its tool calls) unless `store: false`. */
function store(
  ctx: ServerContext,
  b: V1ChatBody,
  messages: ChatMessage[],
  output: object[],
): { response_id?: string } {
  if (b.store === false) return {}
  const last = output.at(-1) as { type?: string; content?: string } | undefined
  const id = `resp_${randomBytes(24).toString('hex')}`
  ctx.threads.set(id, [
    ...messages,
    {
      role: 'assistant',
      content: last?.type === 'message' ? (last.content ?? '') : '',
    },
  ])
  return { response_id: id }
}
