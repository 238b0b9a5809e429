// The indexer's view of a node once it has seen the demo's settlements: the
// reputation the scheduler scores bids with, the on-chain counters and the
// payout ledger (credited vs withdrawn). Waits until the indexer reports at
// least `completed` finalized tasks and the node's withdrawal.
import type { Address } from 'viem'
import {
  createIndexerClient,
  type Finality,
  type Json,
} from '../scheduler/createIndexerClient.ts'
import type { Reputation } from '../scheduler/reputation.ts'
import { waitUntil } from './waitUntil.ts'

export type ReputationView = {
  finality: Finality
  headBlock: bigint
  reputation: Reputation | undefined
  counters: { completed: number; timedOut: number; slashed: number }
  earned: bigint
  stake: bigint
  credited: bigint
  withdrawn: bigint
}

export type FetchReputationViewParameters = {
  indexerUrl: string
  node: Address
  completed: number
  finality?: Finality
  signal?: AbortSignal
  timeoutMs?: number
}

export async function fetchReputationView(
  p: FetchReputationViewParameters,
): Promise<ReputationView> {
  const api = createIndexerClient(p.indexerUrl)
  const finality = p.finality ?? 'latest'
  const [profile, payouts] = await waitUntil(
    async (): Promise<[Json, Json] | undefined> => {
      const view = await api.node(p.node, { finality }).catch(() => undefined)
      if (!view || view.node.counters.completed < p.completed) return undefined
      const pay = await api.nodePayouts(p.node, { finality })
      return BigInt(pay.withdrawn ?? 0) > 0n ? [view, pay] : undefined
    },
    {
      what: "the indexer's view of the node's settled tasks",
      timeoutMs: p.timeoutMs ?? 60_000,
      intervalMs: 300,
      signal: p.signal,
    },
  )
  const c = profile.node.counters
  return {
    finality,
    headBlock: BigInt(profile.head.latestBlock),
    reputation: profile.node.reputation,
    counters: {
      completed: Number(c.completed),
      timedOut: Number(c.timedOut),
      slashed: Number(c.slashed),
    },
    earned: BigInt(c.earned),
    stake: BigInt(profile.node.staked),
    credited: BigInt(payouts.credited ?? 0),
    withdrawn: BigInt(payouts.withdrawn ?? 0),
  }
}
