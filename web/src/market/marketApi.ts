// The market view's data: its config from `pocket start`, and the indexer's
// scheduler API (proxied same-origin under config.indexerUrl).
import { ApiError, errorFromResponse } from '../api/ApiError.ts'
import type {
  IndexedBid,
  IndexedNode,
  IndexedReceipt,
  IndexedTask,
  MarketConfig,
  PayoutTotal,
  TaskState,
} from './types.ts'

export async function loadMarketConfig(): Promise<MarketConfig | null> {
  const res = await fetch('/market/config.json')
  if (res.status === 404) return null
  if (!res.ok) throw await errorFromResponse(res)
  const type = res.headers.get('content-type') ?? ''
  if (!type.includes('json')) return null
  return (await res.json()) as MarketConfig
}

async function get<T>(base: string, path: string): Promise<T> {
  const res = await fetch(`${base}${path}`)
  if (!res.ok) throw await errorFromResponse(res)
  return (await res.json()) as T
}

export const marketApi = (c: MarketConfig) => ({
  tasks: (state: TaskState, limit = 50) =>
    get<{ tasks: IndexedTask[] }>(
      c.indexerUrl,
      `/tasks?state=${state}&limit=${limit}`,
    ).then((r) => r.tasks),
  task: (id: string) =>
    get<{
      task: IndexedTask
      bids: IndexedBid[]
      receipt: IndexedReceipt | null
      challenge: unknown
    }>(c.indexerUrl, `/tasks/${id}`),
  rankedBids: (id: string) =>
    get<{ bids: (IndexedBid & { score: number })[] }>(
      c.indexerUrl,
      `/tasks/${id}/bids?finality=latest`,
    ).then((r) => r.bids),
  nodes: () =>
    get<{ nodes: IndexedNode[] }>(c.indexerUrl, '/nodes?finality=latest').then(
      (r) => r.nodes,
    ),
  node: (address: string) =>
    get<{ node: IndexedNode; recentTasks: IndexedTask[] }>(
      c.indexerUrl,
      `/nodes/${address}?finality=latest`,
    ),
  payouts: () =>
    get<{ payouts: PayoutTotal[] }>(
      c.indexerUrl,
      '/payouts?finality=latest',
    ).then((r) => r.payouts),
})

export { ApiError }
