// A staked auditor challenges a committed task, posting the challenge bond
// (approved here when the allowance is short). The jury is drawn on chain.
import { type Address, type Hash, type Hex, parseEventLogs } from 'viem'
import { pocketTokenAbi, taskMarketAbi } from './abis.ts'
import type { Deployment } from './deployment.ts'
import type { ChainClients } from './getContracts.ts'
import { sendTransaction } from './sendTransaction.ts'

export type ChallengeTaskParameters = {
  addresses: Deployment['addresses']
  taskId: bigint
  /** Hash of the off-chain evidence (audit report). */
  evidenceHash: Hex
}

export type ChallengeTaskReturnType = {
  hash: Hash
  jurors: readonly Address[]
  voteCommitDeadline: bigint
  voteRevealDeadline: bigint
}

/** Challenges `taskId`; returns the drawn jurors and the vote deadlines. */
export async function challengeTask(
  clients: ChainClients,
  p: ChallengeTaskParameters,
): Promise<ChallengeTaskReturnType> {
  const { challengeBond } = await clients.public.readContract({
    address: p.addresses.TaskMarket,
    abi: taskMarketAbi,
    functionName: 'parameters',
  })
  const allowance = await clients.public.readContract({
    address: p.addresses.PocketToken,
    abi: pocketTokenAbi,
    functionName: 'allowance',
    args: [clients.wallet.account.address, p.addresses.TaskMarket],
  })
  if (allowance < challengeBond) {
    await sendTransaction(clients, {
      address: p.addresses.PocketToken,
      abi: pocketTokenAbi,
      functionName: 'approve',
      args: [p.addresses.TaskMarket, challengeBond],
    })
  }
  const { hash, receipt } = await sendTransaction(clients, {
    address: p.addresses.TaskMarket,
    abi: taskMarketAbi,
    functionName: 'challenge',
    args: [p.taskId, p.evidenceHash],
  })
  const [event] = parseEventLogs({
    abi: taskMarketAbi,
    eventName: 'TaskChallenged',
    logs: receipt.logs,
  })
  if (!event) throw new Error(`challenge ${hash}: no TaskChallenged event`)
  return {
    hash,
    jurors: event.args.jurors,
    voteCommitDeadline: BigInt(event.args.voteCommitDeadline),
    voteRevealDeadline: BigInt(event.args.voteRevealDeadline),
  }
}
