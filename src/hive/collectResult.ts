// Runs one hive generation to the end on a given member (itself included,
// through its own hive endpoint) and keeps everything: chunks, token ids,
// stats and the signed receipt. Redundancy and synthesis compare these.
import type { GenerationChunk, GenerationStats } from '../engine/types.ts'
import {
  countersign,
  outputHashOf,
  type SignedContribution,
} from './contributionReceipt.ts'
import { HivePeerError } from './errors.ts'
import type { HiveMember, Peer, Ranked } from './HiveMember.ts'
import { openRemoteStream, PeerLostError } from './remoteStream.ts'
import type { HiveGenerateBody } from './serveGeneration.ts'
import type { HiveEvent } from './streamEvents.ts'

export type CollectedResult = {
  device: string
  start: Extract<HiveEvent, { type: 'start' }>
  chunks: GenerationChunk[]
  tokens: number[]
  text: string
  stats: GenerationStats
  receipt: SignedContribution
  promptTokens?: number[]
}

/** Countersigns a result's receipt into the ledger (work that is paid for). */
export function recordResult(member: HiveMember, r: CollectedResult): void {
  if (r.device === member.device) return
  member.ledger.add(
    countersign(r.receipt, {
      cert: member.identity.cert,
      secretKey: member.identity.key.secretKey,
    }),
  )
}

export function targetOf(
  member: HiveMember,
  r: Ranked,
): Pick<Peer, 'url' | 'key' | 'device'> {
  return r.target === 'self'
    ? {
        url: member.url,
        key: member.identity.key.publicKey,
        device: member.device,
      }
    : r.target
}

export async function collectResult(
  member: HiveMember,
  target: Pick<Peer, 'url' | 'key' | 'device'>,
  body: HiveGenerateBody,
  signal: AbortSignal,
): Promise<CollectedResult> {
  const stream = await openRemoteStream(member, target, body, {
    stallMs: member.stallMs,
    signal,
  })
  let start: CollectedResult['start'] | null = null
  const chunks: GenerationChunk[] = []
  const tokens: number[] = []
  for await (const ev of stream.events) {
    if (ev.type === 'start') start = ev
    else if (ev.type === 'chunk') {
      chunks.push({ text: ev.text, tokens: ev.tokens, logprobs: ev.logprobs })
      tokens.push(...ev.tokens)
    } else if (ev.type === 'error') throw new HivePeerError(ev.status, ev.body)
    else if (ev.type === 'done') {
      if (!start) break
      if (ev.receipt.receipt.outputHash !== outputHashOf(tokens))
        throw new PeerLostError(
          `member ${target.device} sent a receipt for other output`,
        )
      return {
        device: target.device,
        start,
        chunks,
        tokens,
        text: chunks.map((c) => c.text).join(''),
        stats: ev.stats,
        receipt: ev.receipt,
        promptTokens: ev.promptTokens,
      }
    }
  }
  throw new PeerLostError(`member ${target.device} ended without a result`)
}
