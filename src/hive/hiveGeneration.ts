// The coordinator's side of a hive request: picks the best member, runs the
// request there (or locally when this member is best) and returns the same
// Generation shape the local path returns, so the OpenAI/LM Studio
// formatting is shared. If the serving member dies mid-stream, generation
// resumes on the next best member from the tokens already emitted (prompt +
// emitted tokens prefilled, same seed): the client sees one stream.
import type { GenerationChunk, GenerationStats } from '../engine/types.ts'
import type { Lease } from '../models/residency/instance.ts'
import type { EngineModel } from '../models/types.ts'
import type { Generation } from '../server/generation/startGeneration.ts'
import { countersign, outputHashOf } from './contributionReceipt.ts'
import { HivePeerError, HiveUnavailableError } from './errors.ts'
import type { HiveMember, Peer, Ranked } from './HiveMember.ts'
import { openRemoteStream, PeerLostError } from './remoteStream.ts'
import type { HiveGenerateBody } from './serveGeneration.ts'
import type { HiveEvent } from './streamEvents.ts'

export type HiveStartParameters = {
  kind: 'chat' | 'text'
  body: Record<string, unknown>
  model: string
  signal: AbortSignal
  /** Runs the request on this member (the plain server path). */
  local: () => Promise<Generation>
  /** Pin to one device id (tests, benchmarks). */
  device?: string
  /** Told which device serves (this member's id when it runs locally). */
  onServed?: (device: string) => void
}

type Started = {
  peer: Peer
  events: AsyncGenerator<HiveEvent>
  start: Extract<HiveEvent, { type: 'start' }>
  cancel: () => void
}

/** Opens the request on the first candidate that takes it. */
async function openOnBest(
  member: HiveMember,
  candidates: Ranked[],
  body: HiveGenerateBody,
  signal: AbortSignal,
  failed: Set<string>,
): Promise<Started | 'self' | null> {
  for (const c of candidates) {
    if (failed.has(c.device)) continue
    if (c.target === 'self') return 'self'
    const peer = c.target
    try {
      const stream = await openRemoteStream(member, peer, body, {
        stallMs: member.stallMs,
        signal,
      })
      const first = await stream.events.next()
      if (!first.done && first.value.type === 'error')
        throw new HivePeerError(first.value.status, first.value.body)
      if (first.done || first.value.type !== 'start')
        throw new PeerLostError(`member ${peer.device} sent no start event`)
      return {
        peer,
        events: stream.events,
        start: first.value,
        cancel: stream.cancel,
      }
    } catch (e) {
      // The request itself is wrong (400s): every member would say the same.
      if (e instanceof HivePeerError && e.status === 400 && !body.resume)
        throw e
      // Not found or out of memory there: try the next member, keep the peer.
      if (e instanceof HivePeerError) {
        failed.add(peer.device)
        continue
      }
      failed.add(peer.device)
      member.suspect(peer.device)
    }
  }
  return null
}

function leaseOf(start: Started['start']): Lease {
  const model = { info: start.info } as unknown as EngineModel
  return {
    identifier: start.identifier,
    local: start.local,
    model,
    loadTimeMs: null,
    release() {},
    [Symbol.dispose]() {},
  }
}

export async function startHiveGeneration(
  member: HiveMember,
  p: HiveStartParameters,
): Promise<Generation> {
  let ranked = await member.rank(p.model)
  const pick = (r: Ranked[]) =>
    p.device ? r.filter((x) => x.device === p.device) : r
  if (pick(ranked).length === 0) {
    // A peer may only have missed a probe: look once more before giving up.
    await member.probeAll()
    ranked = await member.rank(p.model)
  }
  const pinned = pick(ranked)
  if (p.device && pinned.length === 0)
    throw new HiveUnavailableError(
      `Hive member ${p.device} is not available for "${p.model}".`,
    )
  const failed = new Set<string>()
  const base: HiveGenerateBody = { kind: p.kind, body: p.body }
  const first = await openOnBest(member, pinned, base, p.signal, failed)
  if (first === 'self' || (!first && ranked.some((r) => r.target === 'self'))) {
    p.onServed?.(member.device)
    return trackLocal(member, await p.local())
  }
  if (!first) {
    throw new HiveUnavailableError(`No hive member can serve "${p.model}" now.`)
  }
  let current: Started = first
  p.onServed?.(first.peer.device)
  const emitted: number[] = []
  let finalStats: GenerationStats | null = null
  let promptTokens: number | null = null
  let done!: (s: GenerationStats) => void
  let fail!: (e: unknown) => void
  const result = new Promise<GenerationStats>((res, rej) => {
    done = res
    fail = rej
  })
  result.catch(() => {})

  async function* chunks(): AsyncGenerator<GenerationChunk> {
    try {
      while (true) {
        let next: IteratorResult<HiveEvent>
        try {
          next = await current.events.next()
        } catch (e) {
          if (!(e instanceof PeerLostError) || p.signal.aborted) throw e
          const lost = current.peer.device
          failed.add(lost)
          member.suspect(lost)
          const resumed = await resume(lost)
          if (!resumed) throw e
          current = resumed
          member.recordFailover({
            from: lost,
            to: current.peer.device,
            emitted: emitted.length,
            at: Date.now(),
          })
          continue
        }
        if (next.done) throw new PeerLostError('stream ended without done')
        const ev = next.value
        if (ev.type === 'chunk') {
          emitted.push(...ev.tokens)
          yield { text: ev.text, tokens: ev.tokens, logprobs: ev.logprobs }
        } else if (ev.type === 'done') {
          promptTokens ??= ev.stats.promptTokens
          finalStats = {
            ...ev.stats,
            promptTokens: promptTokens,
            completionTokens: emitted.length,
          }
          settleReceipt(member, current.peer, ev, emitted)
          done(finalStats)
          return
        } else if (ev.type === 'error') {
          throw new HivePeerError(ev.status, ev.body)
        }
      }
    } catch (e) {
      fail(e)
      throw e
    } finally {
      if (!finalStats) current.cancel()
    }
  }

  async function resume(lost: string): Promise<Started | null> {
    const candidates = await member.rank(p.model, failed)
    const body: HiveGenerateBody = { ...base, resume: [...emitted] }
    const r = await openOnBest(member, candidates, body, p.signal, failed)
    if (r === 'self') {
      // This member takes over: run the resume through its own hive endpoint.
      const self = {
        url: member.url,
        key: member.identity.key.publicKey,
        device: member.device,
      } as Peer
      try {
        const stream = await openRemoteStream(member, self, body, {
          stallMs: member.stallMs,
          signal: p.signal,
        })
        const first = await stream.events.next()
        if (first.done || first.value.type !== 'start') return null
        return {
          peer: self,
          events: stream.events,
          start: first.value,
          cancel: stream.cancel,
        }
      } catch {
        return null
      }
    }
    void lost // (kept for logs)
    return r
  }

  return {
    lease: leaseOf(first.start),
    chunks: chunks(),
    stats: () => result,
    cancel: () => current.cancel(),
    output: first.start.output,
  }
}

/** Checks the device's receipt against what arrived, countersigns, records. */
function settleReceipt(
  member: HiveMember,
  peer: Pick<Peer, 'url' | 'device'>,
  ev: Extract<HiveEvent, { type: 'done' }>,
  emitted: number[],
): void {
  const r = ev.receipt
  if (peer.device === member.device) return // a member serving itself
  // Only this segment's tokens are the device's work (failover splits them).
  const own = emitted.slice(emitted.length - ev.stats.completionTokens)
  if (
    r.receipt.device !== peer.device ||
    r.receipt.requester !== member.device ||
    r.receipt.outputHash !== outputHashOf(own)
  )
    return
  const signed = countersign(r, {
    cert: member.identity.cert,
    secretKey: member.identity.key.secretKey,
  })
  if (!member.ledger.add(signed)) return
  void member
    .signedFetch(peer.url, '/v1/hive/receipts', {
      body: JSON.stringify(signed),
      signal: AbortSignal.timeout(3_000),
    })
    .catch(() => {})
}

/** Local generations feed the member's measured speed. */
function trackLocal(member: HiveMember, gen: Generation): Generation {
  gen
    .stats()
    .then((s) => member.observe(s.tokensPerSecond))
    .catch(() => {})
  return gen
}
