// Runs a GenerationRequest and answers in OpenAI's format, streamed (SSE
// chunks, optional usage chunk, `data: [DONE]`) or not. Chat and legacy text
// completions differ only in the choice shape; the v0 flavor adds LM Studio's
// `stats`, `model_info` and `runtime`. Chat output with tools is split into
// content and `tool_calls` (format/chatOutput.ts), never mixing the two. A
// client that disconnects cancels.
import type { Request, Response } from 'express'
import type { GenerationStats, TokenLogprob } from '../../../engine/types.ts'
import type { ServerContext } from '../../context.ts'
import { InvalidRequestError, toHttpError } from '../../errors.ts'
import { type ChatDelta, ChatOutput } from '../../format/chatOutput.ts'
import { runtimeOf, v0ModelInfo, v0Stats } from '../../format/lmstudio.ts'
import {
  chatLogprobs,
  completionLogprobs,
  finishReason,
  newId,
  nowSeconds,
  usageOf,
} from '../../format/openai.ts'
import {
  type Generation,
  startGeneration,
} from '../../generation/startGeneration.ts'
import type { GenerationRequest } from '../../generation/types.ts'
import { clientAbortSignal, SseWriter } from '../../sse.ts'

/** A chat chunk's `delta`. */
function chatDelta(piece: ChatDelta | null, flavor: Flavor) {
  if (!piece) return {}
  // LM Studio repeats the role in every content delta; OpenAI clients accept both.
  if ('content' in piece) return { role: 'assistant', content: piece.content }
  if ('reasoning' in piece)
    return { role: 'assistant', [reasoningKey(flavor)]: piece.reasoning }
  // A call's first delta (with its id) opens the message like OpenAI's does.
  return piece.tool_calls[0]?.id
    ? { role: 'assistant', content: null, tool_calls: piece.tool_calls }
    : { tool_calls: piece.tool_calls }
}

export type ResponseKind = 'chat' | 'text'
export type Flavor = 'openai' | 'v0'

// OpenAI-compatible servers (DeepSeek, vLLM, llama.cpp) say
// `reasoning_content`; LM Studio's own API says `reasoning`.
const reasoningKey = (flavor: Flavor) =>
  flavor === 'v0' ? 'reasoning' : 'reasoning_content'

export async function respond(
  ctx: ServerContext,
  req: Request,
  res: Response,
  request: GenerationRequest,
  kind: ResponseKind,
  flavor: Flavor,
): Promise<void> {
  const signal = clientAbortSignal(req, res)
  const local = () =>
    startGeneration(ctx.residency, request, signal, {
      counters: ctx.generations,
      reasoningTags: ctx.reasoningTags,
    })
  if (request.hive && !ctx.hive)
    throw new InvalidRequestError(
      "'hive' needs a server that is in a hive (pocket serve --hive <code>).",
      'hive',
      'unsupported_value',
    )
  const gen = ctx.hive
    ? await ctx.hive.start({
        kind,
        body: req.body,
        request,
        signal,
        local,
        report: (info) => res.setHeader('x-pocket-hive', JSON.stringify(info)),
      })
    : await local()
  const head = {
    id: newId(kind === 'chat' ? 'chatcmpl' : 'cmpl'),
    object: kind === 'chat' ? 'chat.completion' : 'text_completion',
    created: nowSeconds(),
    model: gen.lease.identifier,
    system_fingerprint: gen.lease.identifier,
  }
  const extras = (stats: GenerationStats) =>
    flavor === 'v0'
      ? {
          stats: v0Stats(stats),
          model_info: v0ModelInfo(
            gen.lease.local,
            gen.lease.model.info.contextLength,
          ),
          runtime: runtimeOf(gen.lease.model.info),
        }
      : {}
  if (request.stream) {
    await stream(gen, res, request, kind, flavor, head, extras, signal)
    return
  }
  let text = ''
  const output = new ChatOutput(gen.output)
  const logprobs: TokenLogprob[] = []
  for await (const chunk of gen.chunks) {
    if (kind === 'chat') output.push(chunk.text, chunk.tokens.length)
    else text += chunk.text
    if (chunk.logprobs) logprobs.push(...chunk.logprobs)
  }
  output.flush()
  const stats = await gen.stats()
  if (signal.aborted) return
  const lp = request.options.logprobs
    ? kind === 'chat'
      ? chatLogprobs(logprobs)
      : completionLogprobs(logprobs)
    : null
  const calls = output.toolCalls
  const choice =
    kind === 'chat'
      ? {
          index: 0,
          message: {
            role: 'assistant',
            // Only tool calls: null content, as OpenAI answers.
            content: calls.length && !output.content ? null : output.content,
            ...(output.reasoning
              ? { [reasoningKey(flavor)]: output.reasoning }
              : {}),
            ...(calls.length ? { tool_calls: calls } : {}),
          },
          logprobs: lp,
          finish_reason: output.finishReason(stats.stopReason),
        }
      : {
          index: 0,
          text,
          logprobs: lp,
          finish_reason: finishReason(stats.stopReason),
        }
  res.json({
    ...head,
    choices: [choice],
    usage: usageOf(stats, kind === 'chat' ? output.reasoningTokens : undefined),
    ...extras(stats),
  })
}

async function stream(
  gen: Generation,
  res: Response,
  request: GenerationRequest,
  kind: ResponseKind,
  flavor: Flavor,
  base: Record<string, unknown>,
  extras: (s: GenerationStats) => object,
  signal: AbortSignal,
): Promise<void> {
  const sse = new SseWriter(res)
  const head = {
    ...base,
    object: kind === 'chat' ? 'chat.completion.chunk' : 'text_completion',
  }
  const usageNull = request.includeUsage ? { usage: null } : {}
  const output = new ChatOutput(gen.output)
  const choice = (
    piece: ChatDelta | null,
    lp: TokenLogprob[] | undefined,
    finish: string | null,
    offset: number,
  ) => {
    const logprobs = lp?.length
      ? kind === 'chat'
        ? chatLogprobs(lp)
        : completionLogprobs(lp, offset)
      : null
    if (kind === 'text') {
      const text = piece && 'content' in piece ? piece.content : ''
      return { index: 0, text, logprobs, finish_reason: finish }
    }
    return {
      index: 0,
      delta: chatDelta(piece, flavor),
      logprobs,
      finish_reason: finish,
    }
  }
  sse.open()
  let offset = 0
  // Logprobs of text the tool-call parser holds back ride on the next frame.
  let pendingLp: TokenLogprob[] = []
  const send = (pieces: ChatDelta[]) => {
    for (const piece of pieces) {
      sse.data({
        ...head,
        choices: [choice(piece, pendingLp, null, offset)],
        ...usageNull,
      })
      pendingLp = []
      if ('content' in piece) offset += piece.content.length
    }
  }
  try {
    for await (const chunk of gen.chunks) {
      if (signal.aborted) break
      if (chunk.logprobs) pendingLp.push(...chunk.logprobs)
      if (kind === 'chat') send(output.push(chunk.text, chunk.tokens.length))
      else if (chunk.text || pendingLp.length) send([{ content: chunk.text }])
    }
    if (signal.aborted) {
      gen.cancel()
      return
    }
    send(output.flush())
    const stats = await gen.stats()
    const finish =
      kind === 'chat'
        ? output.finishReason(stats.stopReason)
        : finishReason(stats.stopReason)
    sse.data({
      ...head,
      choices: [choice(null, pendingLp, finish, offset)],
      ...usageNull,
      ...extras(stats),
    })
    if (request.includeUsage)
      sse.data({
        ...head,
        choices: [],
        usage: usageOf(
          stats,
          kind === 'chat' ? output.reasoningTokens : undefined,
        ),
      })
    sse.done()
  } catch (error) {
    gen.cancel()
    // OpenAI clients raise an APIError on a `data: {"error":...}` frame.
    sse.data(toHttpError(error).body)
    sse.end()
  }
}
