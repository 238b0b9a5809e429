// Anyone finalizes a committed task after its challenge window: node paid, requester refunded.
import type { Hash } from 'viem'
import { taskMarketAbi } from './abis.ts'
import type { Deployment } from './deployment.ts'
import type { ChainClients } from './getContracts.ts'
import { sendTransaction } from './sendTransaction.ts'

export type FinalizeTaskParameters = {
  addresses: Deployment['addresses']
  taskId: bigint
}

export type FinalizeTaskReturnType = { hash: Hash }

/** Anyone finalizes a committed task after its challenge window: node paid, requester refunded. */
export async function finalizeTask(
  clients: ChainClients,
  p: FinalizeTaskParameters,
): Promise<FinalizeTaskReturnType> {
  const { hash } = await sendTransaction(clients, {
    address: p.addresses.TaskMarket,
    abi: taskMarketAbi,
    functionName: 'finalizeTask',
    args: [p.taskId],
  })
  return { hash }
}
