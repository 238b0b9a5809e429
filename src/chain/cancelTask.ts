// Cancels an unassigned task (requester any time, anyone after the bid deadline).
import type { Hash } from 'viem'
import { taskMarketAbi } from './abis.ts'
import type { Deployment } from './deployment.ts'
import type { ChainClients } from './getContracts.ts'
import { sendTransaction } from './sendTransaction.ts'

export type CancelTaskParameters = {
  addresses: Deployment['addresses']
  taskId: bigint
}

export type CancelTaskReturnType = { hash: Hash }

/** Cancels an unassigned task (requester any time, anyone after the bid deadline). */
export async function cancelTask(
  clients: ChainClients,
  p: CancelTaskParameters,
): Promise<CancelTaskReturnType> {
  const { hash } = await sendTransaction(clients, {
    address: p.addresses.TaskMarket,
    abi: taskMarketAbi,
    functionName: 'cancelTask',
    args: [p.taskId],
  })
  return { hash }
}
