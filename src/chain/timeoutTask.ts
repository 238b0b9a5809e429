// Times out an assignment whose commit deadline passed.
import type { Hash } from 'viem'
import { taskMarketAbi } from './abis.ts'
import type { Deployment } from './deployment.ts'
import type { ChainClients } from './getContracts.ts'
import { sendTransaction } from './sendTransaction.ts'

export type TimeoutTaskParameters = {
  addresses: Deployment['addresses']
  taskId: bigint
}

export type TimeoutTaskReturnType = { hash: Hash }

/** Times out an assignment whose commit deadline passed. */
export async function timeoutTask(
  clients: ChainClients,
  p: TimeoutTaskParameters,
): Promise<TimeoutTaskReturnType> {
  const { hash } = await sendTransaction(clients, {
    address: p.addresses.TaskMarket,
    abi: taskMarketAbi,
    functionName: 'timeoutTask',
    args: [p.taskId],
  })
  return { hash }
}
