// Reads the task fields that live only in events: TaskPosted (model, input,
// sampling, seed) and TaskCommitted (receipt hash, output), plus the
// challenges a juror was drawn into.
import type { Address, Hex } from 'viem'
import { taskMarketAbi } from '../src/chain/abis.ts'
import type { Deployment } from '../src/chain/deployment.ts'
import type { ChainClients } from '../src/chain/getContracts.ts'
import type { CommittedResult, PostedTask } from '../src/receipts/index.ts'

type Public = Pick<ChainClients, 'public'>
type Range = { fromBlock: bigint; toBlock: bigint }

export type PostedEvent = PostedTask & {
  requester: Address
  maxPrice: bigint
  bidDeadline: bigint
  execWindow: number
  blockNumber: bigint
}

const toPosted = (log: {
  args: Record<string, unknown>
  blockNumber: bigint | null
}): PostedEvent => {
  const a = log.args as {
    taskId: bigint
    requester: Address
    modelDigest: Hex
    inputHash: Hex
    maxPrice: bigint
    bidDeadline: bigint
    execWindow: number
    seed: bigint
    samplingParams: Hex
    input: Hex
  }
  return {
    taskId: a.taskId,
    requester: a.requester,
    modelDigest: a.modelDigest,
    inputHash: a.inputHash,
    input: a.input,
    samplingParams: a.samplingParams,
    seed: BigInt(a.seed),
    maxPrice: a.maxPrice,
    bidDeadline: BigInt(a.bidDeadline),
    execWindow: Number(a.execWindow),
    blockNumber: log.blockNumber ?? 0n,
  }
}

export async function postedTasksIn(
  c: Public,
  addresses: Deployment['addresses'],
  range: Range,
): Promise<PostedEvent[]> {
  const logs = await c.public.getContractEvents({
    address: addresses.TaskMarket,
    abi: taskMarketAbi,
    eventName: 'TaskPosted',
    ...range,
  })
  return logs.map(toPosted)
}

export async function postedTask(
  c: Public,
  deployment: Pick<Deployment, 'addresses' | 'startBlock'>,
  taskId: bigint,
): Promise<PostedEvent | undefined> {
  const logs = await c.public.getContractEvents({
    address: deployment.addresses.TaskMarket,
    abi: taskMarketAbi,
    eventName: 'TaskPosted',
    args: { taskId },
    fromBlock: BigInt(deployment.startBlock),
  })
  return logs[0] && toPosted(logs[0])
}

export type CommittedEvent = CommittedResult & {
  taskId: bigint
  challengeDeadline: bigint
  outputURI: string
  blockNumber: bigint
}

export async function committedTasks(
  c: Public,
  deployment: Pick<Deployment, 'addresses' | 'startBlock'>,
  filter: { taskId?: bigint; fromBlock?: bigint; toBlock?: bigint },
): Promise<CommittedEvent[]> {
  const logs = await c.public.getContractEvents({
    address: deployment.addresses.TaskMarket,
    abi: taskMarketAbi,
    eventName: 'TaskCommitted',
    args: filter.taskId === undefined ? {} : { taskId: filter.taskId },
    fromBlock: filter.fromBlock ?? BigInt(deployment.startBlock),
    toBlock: filter.toBlock,
  })
  return logs.map((l) => ({
    taskId: l.args.taskId as bigint,
    node: l.args.node as Address,
    receiptHash: l.args.receiptHash as Hex,
    outputHash: l.args.outputHash as Hex,
    output: l.args.output as Hex,
    outputURI: l.args.outputURI as string,
    challengeDeadline: BigInt(l.args.challengeDeadline as bigint),
    blockNumber: l.blockNumber ?? 0n,
  }))
}

export type ChallengedEvent = {
  taskId: bigint
  challenger: Address
  node: Address
  jurors: readonly Address[]
  voteCommitDeadline: bigint
  voteRevealDeadline: bigint
}

export async function challengesIn(
  c: Public,
  addresses: Deployment['addresses'],
  range: Range,
): Promise<ChallengedEvent[]> {
  const logs = await c.public.getContractEvents({
    address: addresses.TaskMarket,
    abi: taskMarketAbi,
    eventName: 'TaskChallenged',
    ...range,
  })
  return logs.map((l) => ({
    taskId: l.args.taskId as bigint,
    challenger: l.args.challenger as Address,
    node: l.args.node as Address,
    jurors: l.args.jurors as readonly Address[],
    voteCommitDeadline: BigInt(l.args.voteCommitDeadline as bigint),
    voteRevealDeadline: BigInt(l.args.voteRevealDeadline as bigint),
  }))
}
