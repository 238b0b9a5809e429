// A small typed client for the indexer's scheduler API (indexer/src/api).
// Amounts arrive as decimal strings; the fields the scheduler computes with
// are turned back into bigints here.
import type { Address, Hex } from 'viem'
import type { Reputation } from './reputation.ts'

export type Finality = 'finalized' | 'latest'

export type IndexerHead = {
  latestBlock: bigint
  latestTimestamp: bigint
  finalizedBlock: bigint
  finalizedTimestamp: bigint
}

export type IndexedBid = {
  taskId: bigint
  bidIndex: number
  node: Address
  price: bigint
  status: 'open' | 'won' | 'released'
  blockNumber: bigint
  reputation: Reputation
  /** Score with the default weights (src/scheduler/score.ts). */
  score: number
}

export type TaskBids = {
  task: {
    id: bigint
    state: string
    maxPrice: bigint
    bidDeadline: bigint
    modelDigest: Hex
    requester: Address
  }
  finality: Finality
  head: IndexerHead
  bids: IndexedBid[]
}

/** JSON as the API sends it (amounts as strings). */
// biome-ignore lint/suspicious/noExplicitAny: raw JSON views for callers
export type Json = any

export type IndexerClient = ReturnType<typeof createIndexerClient>

export class IndexerApiError extends Error {
  override name = 'IndexerApiError' as const
  status: number
  constructor(status: number, message: string) {
    super(message)
    this.status = status
  }
}

const toHead = (h: Json): IndexerHead => ({
  latestBlock: BigInt(h.latestBlock),
  latestTimestamp: BigInt(h.latestTimestamp),
  finalizedBlock: BigInt(h.finalizedBlock),
  finalizedTimestamp: BigInt(h.finalizedTimestamp),
})

export function createIndexerClient(url: string) {
  const base = url.replace(/\/+$/, '')
  async function get(
    path: string,
    query: Record<string, string | undefined> = {},
  ) {
    const q = new URLSearchParams(
      Object.entries(query).filter(
        (e): e is [string, string] => e[1] !== undefined,
      ),
    ).toString()
    const res = await fetch(`${base}${path}${q ? `?${q}` : ''}`, {
      signal: AbortSignal.timeout(10_000),
    })
    const body = (await res.json().catch(() => ({}))) as Json
    if (!res.ok) {
      throw new IndexerApiError(
        res.status,
        body?.error?.message ?? `GET ${path}: ${res.status}`,
      )
    }
    return body
  }
  return {
    url: base,
    async head(): Promise<IndexerHead> {
      return toHead(await get('/head'))
    },
    /** Task, bids, receipt and challenge; null when not (yet) indexed. */
    async task(taskId: bigint): Promise<Json | null> {
      try {
        return await get(`/tasks/${taskId}`)
      } catch (error) {
        if (error instanceof IndexerApiError && error.status === 404)
          return null
        throw error
      }
    },
    /** Bids on a task, best first; null when the task is not indexed yet. */
    async bids(
      taskId: bigint,
      options: { finality?: Finality } = {},
    ): Promise<TaskBids | null> {
      let body: Json
      try {
        body = await get(`/tasks/${taskId}/bids`, {
          finality: options.finality,
        })
      } catch (error) {
        if (error instanceof IndexerApiError && error.status === 404)
          return null
        throw error
      }
      return {
        task: {
          ...body.task,
          id: BigInt(body.task.id),
          maxPrice: BigInt(body.task.maxPrice),
          bidDeadline: BigInt(body.task.bidDeadline),
        },
        finality: body.finality,
        head: toHead(body.head),
        bids: body.bids.map((b: Json) => ({
          ...b,
          taskId: BigInt(b.taskId),
          price: BigInt(b.price),
          blockNumber: BigInt(b.blockNumber),
        })),
      }
    },
    openTasks(
      options: { model?: Hex; requester?: Address; limit?: number } = {},
    ): Promise<Json> {
      return get('/tasks', {
        state: 'Posted',
        model: options.model,
        requester: options.requester,
        limit: options.limit?.toString(),
      })
    },
    nodes(options: { finality?: Finality } = {}): Promise<Json> {
      return get('/nodes', { finality: options.finality })
    },
    node(
      address: Address,
      options: { finality?: Finality } = {},
    ): Promise<Json> {
      return get(`/nodes/${address}`, { finality: options.finality })
    },
    payouts(
      options: { finality?: Finality; account?: Address } = {},
    ): Promise<Json> {
      return get('/payouts', {
        finality: options.finality,
        account: options.account,
      })
    },
    nodePayouts(
      address: Address,
      options: { finality?: Finality } = {},
    ): Promise<Json> {
      return get(`/nodes/${address}/payouts`, { finality: options.finality })
    },
  }
}
