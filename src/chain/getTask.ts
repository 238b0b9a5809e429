// Reads everything the node daemon needs about one task in a single call
// batch: the task record, its requester, its bids and the assignment. The
// receipt hash and output are not stored: read them from `TaskCommitted`.
import type { Address } from 'viem'
import { taskMarketAbi } from './abis.ts'
import type { Deployment } from './deployment.ts'
import type { ChainClients } from './getContracts.ts'

/** Task states, in the order of the contract's `TaskState` enum. */
export const taskStates = [
  'None',
  'Posted',
  'Assigned',
  'Committed',
  'Challenged',
  'Finalized',
  'Cancelled',
  'TimedOut',
  'Slashed',
  'ChallengePending',
] as const
export type TaskState = (typeof taskStates)[number]

export type GetTaskParameters = {
  addresses: Deployment['addresses']
  taskId: bigint
}

export type GetTaskReturnType = {
  requester: Address
  maxPrice: bigint
  /** Deadline of the current state (bid, commit or challenge deadline). */
  deadline: bigint
  execWindow: number
  state: TaskState
  bids: readonly { node: Address; price: bigint }[]
  assignedNode: Address | undefined
  price: bigint | undefined
}

/** Reads one task. */
export async function getTask(
  clients: Pick<ChainClients, 'public'>,
  { addresses, taskId }: GetTaskParameters,
): Promise<GetTaskReturnType> {
  const market = { address: addresses.TaskMarket, abi: taskMarketAbi } as const
  const args = [taskId] as const
  const [task, bids, [node, price], requester] = await Promise.all([
    clients.public.readContract({ ...market, functionName: 'taskOf', args }),
    clients.public.readContract({ ...market, functionName: 'bidsOf', args }),
    clients.public.readContract({
      ...market,
      functionName: 'assignmentOf',
      args,
    }),
    clients.public.readContract({
      ...market,
      functionName: 'requesterOf',
      args,
    }),
  ])
  const zero = /^0x0*$/
  return {
    requester,
    maxPrice: task.maxPrice,
    deadline: BigInt(task.deadline),
    execWindow: task.execWindow,
    state: taskStates[task.state] ?? 'None',
    bids,
    assignedNode: zero.test(node) ? undefined : node,
    price: zero.test(node) ? undefined : price,
  }
}
