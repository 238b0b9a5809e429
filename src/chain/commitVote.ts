// A drawn juror commits a hidden vote (see `voteCommitment` on the market).
import type { Hash, Hex } from 'viem'
import { taskMarketAbi } from './abis.ts'
import type { Deployment } from './deployment.ts'
import type { ChainClients } from './getContracts.ts'
import { sendTransaction } from './sendTransaction.ts'

export type CommitVoteParameters = {
  addresses: Deployment['addresses']
  taskId: bigint
  commitment: Hex
}

export type CommitVoteReturnType = { hash: Hash }

/** A drawn juror commits a hidden vote (see `voteCommitment` on the market). */
export async function commitVote(
  clients: ChainClients,
  p: CommitVoteParameters,
): Promise<CommitVoteReturnType> {
  const { hash } = await sendTransaction(clients, {
    address: p.addresses.TaskMarket,
    abi: taskMarketAbi,
    functionName: 'commitVote',
    args: [p.taskId, p.commitment],
  })
  return { hash }
}
