// A juror reveals its vote after the commit phase.
import type { Hash, Hex } from 'viem'
import { taskMarketAbi } from './abis.ts'
import type { Deployment } from './deployment.ts'
import type { ChainClients } from './getContracts.ts'
import { sendTransaction } from './sendTransaction.ts'

export type RevealVoteParameters = {
  addresses: Deployment['addresses']
  taskId: bigint
  nodeGuilty: boolean
  /** The 32-byte salt used in the commitment. */
  salt: Hex
}

export type RevealVoteReturnType = { hash: Hash }

/** A juror reveals its vote after the commit phase. */
export async function revealVote(
  clients: ChainClients,
  p: RevealVoteParameters,
): Promise<RevealVoteReturnType> {
  const { hash } = await sendTransaction(clients, {
    address: p.addresses.TaskMarket,
    abi: taskMarketAbi,
    functionName: 'revealVote',
    args: [p.taskId, p.nodeGuilty, p.salt],
  })
  return { hash }
}
