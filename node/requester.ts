// Requester SDK: post an inference task, assign a bid (the cheapest, or a
// chosen node's) when no scheduler is used, wait for a state, and read the
// result with its receipt checked (hashes + node signature).
import { randomBytes } from 'node:crypto'
import { type Address, type Hex, isAddressEqual } from 'viem'
import { assignTask } from '../src/chain/assignTask.ts'
import type { Deployment } from '../src/chain/deployment.ts'
import type { ChainClients } from '../src/chain/getContracts.ts'
import { getTask, type TaskState } from '../src/chain/getTask.ts'
import { postTask } from '../src/chain/postTask.ts'
import {
  buildReceipt,
  type CommittedResult,
  decodeOutput,
  encodeInput,
  encodeSampling,
  hashBytes,
  hashReceipt,
  type PostedTask,
  type Receipt,
  type TaskInput,
  type TaskSampling,
  verifyReceiptSignature,
} from '../src/receipts/index.ts'
import { TaskStateError } from './errors.ts'
import { withRetry } from './rpc.ts'
import { committedTasks, postedTask } from './taskEvents.ts'

type Dep = Pick<Deployment, 'addresses' | 'startBlock' | 'chainId'>

export type PostInferenceTaskParameters = {
  modelDigest: Hex
  input: TaskInput
  sampling?: Partial<TaskSampling>
  /** Sampling seed (< 2^52); random when omitted. */
  seed?: bigint
  maxPrice: bigint
  /** Seconds (chain time) during which nodes bid and the task is assigned. */
  bidWindow?: number
  execWindow?: number
}

export async function postInferenceTask(
  clients: ChainClients,
  deployment: Dep,
  p: PostInferenceTaskParameters,
): Promise<{ taskId: bigint; seed: bigint }> {
  const input = encodeInput(p.input)
  const seed = p.seed ?? (randomBytes(8).readBigUInt64BE() % 2n ** 52n) + 1n
  const block = await clients.public.getBlock({ blockTag: 'latest' })
  const { taskId } = await postTask(clients, {
    addresses: deployment.addresses,
    modelDigest: p.modelDigest,
    inputHash: hashBytes(input),
    input,
    samplingParams: encodeSampling(p.sampling ?? {}),
    seed,
    maxPrice: p.maxPrice,
    bidDeadline: block.timestamp + BigInt(p.bidWindow ?? 300),
    execWindow: p.execWindow ?? 600,
  })
  return { taskId, seed }
}

export type AssignBidParameters = {
  taskId: bigint
  /** Assign this node's bid; default: the cheapest (earliest on ties). */
  node?: Address
  /** Wait until at least this many bids (or the node's bid) exist. */
  minBids?: number
  timeoutMs?: number
}

export async function assignBid(
  clients: ChainClients,
  deployment: Dep,
  p: AssignBidParameters,
): Promise<{ node: Address; price: bigint; bidIndex: number }> {
  const deadline = Date.now() + (p.timeoutMs ?? 60_000)
  for (;;) {
    const t = await withRetry('getTask', () =>
      getTask(clients, { addresses: deployment.addresses, taskId: p.taskId }),
    )
    const bids = t.bids.map((b, i) => ({ ...b, i }))
    const pick = p.node
      ? bids.find((b) => isAddressEqual(b.node, p.node as Address))
      : bids.length >= (p.minBids ?? 1)
        ? bids.reduce((a, b) => (b.price < a.price ? b : a))
        : undefined
    if (pick) {
      try {
        await assignTask(clients, {
          addresses: deployment.addresses,
          taskId: p.taskId,
          bidIndex: pick.i,
        })
        return { node: pick.node, price: pick.price, bidIndex: pick.i }
      } catch (error) {
        // a bid landing between estimate and execution raises the gas the
        // unlock loop needs: re-read the bids and try again
        if (Date.now() > deadline) throw error
        continue
      }
    }
    if (Date.now() > deadline)
      throw new TaskStateError(`No suitable bid on task ${p.taskId}.`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

export async function waitForTask(
  clients: Pick<ChainClients, 'public'>,
  deployment: Dep,
  p: {
    taskId: bigint
    states: TaskState[]
    timeoutMs?: number
    pollMs?: number
  },
): Promise<TaskState> {
  const deadline = Date.now() + (p.timeoutMs ?? 120_000)
  for (;;) {
    const t = await withRetry('getTask', () =>
      getTask(clients, { addresses: deployment.addresses, taskId: p.taskId }),
    )
    if (p.states.includes(t.state)) return t.state
    if (Date.now() > deadline)
      throw new TaskStateError(
        `Task ${p.taskId} is ${t.state}, not ${p.states.join('/')}.`,
      )
    await new Promise((r) => setTimeout(r, p.pollMs ?? 300))
  }
}

export type TaskResult = {
  state: TaskState
  node?: Address
  text?: string
  tokenIds?: number[]
  receipt?: Receipt
  receiptHash?: Hex
  /** Hashes match the task and the signature recovers to the node. */
  receiptValid?: boolean
}

export async function getTaskResult(
  clients: Pick<ChainClients, 'public'>,
  deployment: Dep,
  taskId: bigint,
): Promise<TaskResult> {
  const t = await getTask(clients, { addresses: deployment.addresses, taskId })
  const [c] = await committedTasks(clients, deployment, { taskId })
  const posted = await postedTask(clients, deployment, taskId)
  if (!c || !posted) return { state: t.state }
  return checkTaskResult(deployment, t.state, posted, c)
}

/** Checks a committed output (plaintext envelope) against its task. */
export async function checkTaskResult(
  deployment: Dep,
  state: TaskState,
  posted: PostedTask,
  c: CommittedResult,
): Promise<TaskResult> {
  const env = decodeOutput(c.output)
  const receipt = buildReceipt({ task: posted, node: c.node, ...env })
  const domain = {
    chainId: deployment.chainId,
    verifyingContract: deployment.addresses.TaskMarket,
  }
  const receiptValid =
    hashReceipt({ ...domain, receipt }) === c.receiptHash &&
    receipt.outputHash === c.outputHash &&
    (await verifyReceiptSignature({
      ...domain,
      receipt,
      signature: env.signature,
    }))
  return {
    state,
    node: c.node,
    text: env.text,
    tokenIds: env.tokenIds,
    receipt,
    receiptHash: c.receiptHash,
    receiptValid,
  }
}
