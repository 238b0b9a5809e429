// POST /v1/hive/generate on the serving member: runs one OpenAI-shaped
// request (chat or text) for a member of the hive, optionally resuming from
// tokens another device already emitted, and streams signed events (start,
// chunks, done with a signed contribution receipt). Errors before the first
// token are ordinary HTTP errors; later ones are an `error` event.
import type { RequestHandler } from 'express'
import type { GenerationStats } from '../engine/types.ts'
import { modelDigestOfPath } from '../receipts/modelDigest.ts'
import type { ServerContext } from '../server/context.ts'
import { InvalidRequestError, toHttpError } from '../server/errors.ts'
import {
  type Generation,
  startGeneration,
} from '../server/generation/startGeneration.ts'
import type { GenerationRequest } from '../server/generation/types.ts'
import { parseChatCompletionRequest } from '../server/validate/chatCompletionRequest.ts'
import { parseCompletionRequest } from '../server/validate/completionRequest.ts'
import {
  outputHashOf,
  requestHashOf,
  signContribution,
} from './contributionReceipt.ts'
import type { HiveMember } from './HiveMember.ts'
import type { Caller } from './signedRequest.ts'
import { encodeEvent, type HiveEvent } from './streamEvents.ts'

export type HiveGenerateBody = {
  kind: 'chat' | 'text'
  /** The client's OpenAI body, minus its `hive` field. */
  body: Record<string, unknown>
  /** Completion tokens already emitted elsewhere (failover). */
  resume?: number[]
  /** Send the prompt token ids in the done event (redundancy audits). */
  withPrompt?: boolean
}

const digests = new Map<string, Promise<string>>()
function digestOf(path: string): Promise<string> {
  let d = digests.get(path)
  if (!d) {
    // A model without weight files on disk still serves; its receipt says so.
    d = modelDigestOfPath(path).then(
      (r) => r.digest,
      () => 'unknown',
    )
    digests.set(path, d)
  }
  return d
}

export async function parseHiveGenerate(
  b: HiveGenerateBody,
): Promise<GenerationRequest> {
  if (!b || (b.kind !== 'chat' && b.kind !== 'text') || !b.body)
    throw new InvalidRequestError("A hive generation needs 'kind' and 'body'.")
  const { hive: _hive, ...body } = b.body
  const request =
    b.kind === 'chat'
      ? await parseChatCompletionRequest(body)
      : parseCompletionRequest(body)
  if (b.resume !== undefined) {
    if (
      !Array.isArray(b.resume) ||
      b.resume.some((t) => !Number.isInteger(t) || t < 0)
    )
      throw new InvalidRequestError("'resume' must be token ids.", 'resume')
    if (request.structured)
      throw new InvalidRequestError(
        'A structured-output generation cannot be resumed.',
        'resume',
      )
    request.options.resumeTokens = b.resume
    const max = request.options.maxTokens
    if (max !== undefined && max > 0) {
      if (max <= b.resume.length)
        throw new InvalidRequestError('Nothing left to generate.', 'resume')
      request.options.maxTokens = max - b.resume.length
    }
  }
  return request
}

export function serveGeneration(
  ctx: ServerContext,
  member: HiveMember,
): RequestHandler {
  return async (req, res) => {
    const caller = res.locals.hiveCaller as Caller
    const nonce = String(req.headers['x-hive-nonce'])
    const b = req.body as HiveGenerateBody
    const request = await parseHiveGenerate(b)
    const controller = new AbortController()
    res.once('close', () => {
      if (!res.writableFinished) controller.abort(new Error('member left'))
    })
    const key = member.identity.key.secretKey
    let seq = 0
    const send = (e: HiveEvent) => res.write(encodeEvent(e, seq++, nonce, key))
    // Head first: the caller's connect timeout must not include a model load.
    res.writeHead(200, {
      'content-type': 'application/x-ndjson',
      'cache-control': 'no-store',
    })
    res.flushHeaders()
    let gen: Generation
    try {
      gen = await startGeneration(ctx.residency, request, controller.signal, {
        counters: ctx.generations,
        reasoningTags: ctx.reasoningTags,
      })
    } catch (error) {
      const { status, body } = toHttpError(error)
      send({ type: 'error', status, body })
      res.end()
      return
    }
    const { newId: _n, ...output } = gen.output
    send({
      type: 'start',
      identifier: gen.lease.identifier,
      info: gen.lease.model.info,
      local: gen.lease.local,
      output,
    })
    const tokens: number[] = []
    try {
      for await (const chunk of gen.chunks) {
        if (controller.signal.aborted) break
        tokens.push(...chunk.tokens)
        send({ type: 'chunk', ...chunk })
      }
      if (controller.signal.aborted) {
        gen.cancel()
        return
      }
      const stats: GenerationStats = await gen.stats()
      member.observe(stats.tokensPerSecond)
      const receipt = signContribution(
        {
          v: 1,
          hive: member.hive.id,
          device: member.device,
          requester: caller.cert.device,
          model: gen.lease.identifier,
          modelDigest: await digestOf(gen.lease.local.path),
          requestHash: requestHashOf(b),
          outputHash: outputHashOf(tokens),
          promptTokens: stats.promptTokens,
          completionTokens: stats.completionTokens,
          time: Date.now(),
        },
        { cert: member.identity.cert, secretKey: key },
      )
      const lease = gen.lease.model
      send({
        type: 'done',
        stats,
        receipt,
        ...(b.withPrompt && lease.promptTokens
          ? { promptTokens: lease.promptTokens(request.input, request.options) }
          : {}),
      })
    } catch (error) {
      gen.cancel()
      const { status, body } = toHttpError(error)
      send({ type: 'error', status, body })
    }
    res.end()
  }
}
