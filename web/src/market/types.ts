// What the market view reads: its config (served by `pocket start` at
// /market/config.json) and the indexer API's rows (ids and amounts as
// decimal strings, addresses lowercase).
import type { Address, Hex } from 'viem'

export type MarketConfig = {
  chainId: number
  /** Same-origin paths `pocket start` proxies to the indexer and the chain. */
  indexerUrl: string
  rpcUrl: string
  addresses: { TaskMarket: Address; Staking: Address; PocketToken: Address }
  /** The model the local node serves: digest and name. */
  model: { digest: Hex; name: string }
  /** The local chain's dev requester account (unlocked in hardhat node). */
  devAccount: Address
}

export const TASK_STATES = [
  'Posted',
  'Assigned',
  'Committed',
  'Challenged',
  'Finalized',
  'Cancelled',
  'TimedOut',
  'Slashed',
] as const
export type TaskState = (typeof TASK_STATES)[number]

export type IndexedTask = {
  id: string
  requester: Address
  modelDigest: Hex
  inputHash: Hex
  maxPrice: string
  seed: string
  samplingParams: Hex
  input: Hex
  state: TaskState
  bidCount: number
  node: Address | null
  price: string | null
  payment: string | null
  refund: string | null
  postedAt: string
  committedAt: string | null
}

export type IndexedReceipt = {
  taskId: string
  node: Address
  receiptHash: Hex
  outputHash: Hex
  output: Hex
  challengeDeadline: string
  transactionHash: Hex
}

export type IndexedBid = {
  taskId: string
  bidIndex: number
  node: Address
  price: string
  status: string
}

export type Reputation = {
  score: number
  successRate: number | null
  tasks: number
  latency: number | null
}

export type IndexedNode = {
  address: Address
  staked: string
  locked: string
  completed: number
  timedOut: number
  slashedCount: number
  earned: string
  active: boolean
  reputation?: Reputation
}

export type PayoutTotal = {
  account: Address
  credited: string
  withdrawn: string
  kinds: Record<string, { amount: string; count: number }>
}
