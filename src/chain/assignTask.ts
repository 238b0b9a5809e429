// The requester assigns its task to one bid; the other bids are released.
import type { Hash } from 'viem'
import { taskMarketAbi } from './abis.ts'
import type { Deployment } from './deployment.ts'
import type { ChainClients } from './getContracts.ts'
import { sendTransaction } from './sendTransaction.ts'

export type AssignTaskParameters = {
  addresses: Deployment['addresses']
  taskId: bigint
  /** Index from `BidPlaced`. */
  bidIndex: number
}

export type AssignTaskReturnType = { hash: Hash }

/** The requester assigns its task to one bid; the other bids are released. */
export async function assignTask(
  clients: ChainClients,
  p: AssignTaskParameters,
): Promise<AssignTaskReturnType> {
  const { hash } = await sendTransaction(clients, {
    address: p.addresses.TaskMarket,
    abi: taskMarketAbi,
    functionName: 'assignTask',
    args: [p.taskId, p.bidIndex],
  })
  return { hash }
}
