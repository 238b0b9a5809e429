// A staked auditor (or the task's requester) challenges a committed task:
// first the bond with a commitment to a random secret, then, in a later
// block, the secret, which draws the jury on chain from
// keccak(secret, blockhash(commitment block)) so nobody can aim the draw.
import {
  type Address,
  bytesToHex,
  type Hash,
  type Hex,
  parseEventLogs,
} from 'viem'
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
  /** The seed secret revealed (kept for the record; it is public now). */
  secret: Hex
  jurors: readonly Address[]
  voteCommitDeadline: bigint
  voteRevealDeadline: bigint
}

/**
 * Challenges `taskId` (seed commitment, then the reveal that draws the jury);
 * returns the drawn jurors and the vote deadlines.
 */
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
  const secret = bytesToHex(crypto.getRandomValues(new Uint8Array(32)))
  const seedHash = await clients.public.readContract({
    address: p.addresses.TaskMarket,
    abi: taskMarketAbi,
    functionName: 'seedCommitment',
    args: [p.taskId, clients.wallet.account.address, secret],
  })
  await sendTransaction(clients, {
    address: p.addresses.TaskMarket,
    abi: taskMarketAbi,
    functionName: 'commitChallenge',
    args: [p.taskId, seedHash],
  })
  // the reveal must land in a later block than the commitment (its hash is
  // part of the seed); the receipt above means that block is mined
  const { hash, receipt } = await sendTransaction(clients, {
    address: p.addresses.TaskMarket,
    abi: taskMarketAbi,
    functionName: 'challenge',
    args: [p.taskId, p.evidenceHash, secret],
    simulateAt: 'pending',
  })
  const [event] = parseEventLogs({
    abi: taskMarketAbi,
    eventName: 'TaskChallenged',
    logs: receipt.logs,
  })
  if (!event) throw new Error(`challenge ${hash}: no TaskChallenged event`)
  return {
    hash,
    secret,
    jurors: event.args.jurors,
    voteCommitDeadline: BigInt(event.args.voteCommitDeadline),
    voteRevealDeadline: BigInt(event.args.voteRevealDeadline),
  }
}
