// Anyone resolves a challenge once voting is over.
import type { Hash } from 'viem'
import { taskMarketAbi } from './abis.ts'
import type { Deployment } from './deployment.ts'
import type { ChainClients } from './getContracts.ts'
import { sendTransaction } from './sendTransaction.ts'

export type ResolveChallengeParameters = {
  addresses: Deployment['addresses']
  taskId: bigint
}

export type ResolveChallengeReturnType = { hash: Hash }

/** Anyone resolves a challenge once voting is over. */
export async function resolveChallenge(
  clients: ChainClients,
  p: ResolveChallengeParameters,
): Promise<ResolveChallengeReturnType> {
  const { hash } = await sendTransaction(clients, {
    address: p.addresses.TaskMarket,
    abi: taskMarketAbi,
    functionName: 'resolveChallenge',
    args: [p.taskId],
  })
  return { hash }
}
