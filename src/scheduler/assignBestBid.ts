// The scheduler: reads a task's bids and the bidders' reputation from the
// indexer, picks one by the documented score and assigns it on chain.
import { getAddress, type Hash } from 'viem'
import { taskMarketAbi } from '../chain/abis.ts'
import { assignTask } from '../chain/assignTask.ts'
import type { Deployment } from '../chain/deployment.ts'
import type { ChainClients } from '../chain/getContracts.ts'
import {
  createIndexerClient,
  type Finality,
  type IndexedBid,
  type IndexerClient,
} from './createIndexerClient.ts'
import { pickBid } from './pickBid.ts'
import type { ScoreWeights } from './score.ts'

export type AssignBestBidParameters = {
  addresses: Deployment['addresses']
  /** Indexer API URL or client. */
  indexer: string | IndexerClient
  taskId: bigint
  weights?: ScoreWeights
  /** Data the reputation is computed from; default 'finalized'. */
  finality?: Finality
  /** Wait until the indexer shows at least this many bids; default 1. */
  minBids?: number
  /** How long to wait for the task and bids to be indexed; default 30 s. */
  timeoutMs?: number
}

export type AssignBestBidReturnType = {
  hash: Hash
  bid: IndexedBid
  score: number
  ranked: { bid: IndexedBid; score: number }[]
}

export class SchedulerError extends Error {
  override name = 'SchedulerError' as const
}

/** Picks the best bid from the indexer's view and assigns it (requester only). */
export async function assignBestBid(
  clients: ChainClients,
  p: AssignBestBidParameters,
): Promise<AssignBestBidReturnType> {
  const indexer =
    typeof p.indexer === 'string' ? createIndexerClient(p.indexer) : p.indexer
  const minBids = p.minBids ?? 1
  const deadline = Date.now() + (p.timeoutMs ?? 30_000)
  for (;;) {
    const view = await indexer.bids(p.taskId, { finality: p.finality })
    const open = view?.bids.filter((b) => b.status === 'open') ?? []
    if (view && view.task.state !== 'Posted') {
      throw new SchedulerError(
        `task ${p.taskId} is ${view.task.state}, not Posted`,
      )
    }
    if (view && open.length >= minBids) {
      const picked = pickBid({
        bids: open,
        maxPrice: view.task.maxPrice,
        weights: p.weights,
      })
      if (!picked) throw new SchedulerError(`task ${p.taskId} has no open bid`)
      // the indexer may lag or have seen a reorged block: check the bid on chain
      const onChain = await clients.public.readContract({
        address: p.addresses.TaskMarket,
        abi: taskMarketAbi,
        functionName: 'bidsOf',
        args: [p.taskId],
      })
      const bid = onChain[picked.bid.bidIndex]
      if (
        !bid ||
        getAddress(bid.node) !== getAddress(picked.bid.node) ||
        bid.price !== picked.bid.price
      ) {
        throw new SchedulerError(
          `bid ${picked.bid.bidIndex} of task ${p.taskId} differs on chain from the indexer's view`,
        )
      }
      const { hash } = await assignTask(clients, {
        addresses: p.addresses,
        taskId: p.taskId,
        bidIndex: picked.bid.bidIndex,
      })
      return {
        hash,
        bid: picked.bid,
        score: picked.score,
        ranked: picked.ranked,
      }
    }
    if (Date.now() > deadline) {
      throw new SchedulerError(
        view
          ? `task ${p.taskId}: ${open.length} bid(s) indexed, waited for ${minBids}`
          : `task ${p.taskId} not indexed at ${indexer.url}`,
      )
    }
    await new Promise((r) => setTimeout(r, 250))
  }
}
