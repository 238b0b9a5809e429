// The requester assigns its task to a node's off-chain signed bid; the
// node's stake is locked in the same call.
import { type Address, type Hash, parseEventLogs } from 'viem'
import { taskMarketAbi } from './abis.ts'
import type { Deployment } from './deployment.ts'
import type { ChainClients } from './getContracts.ts'
import { sendTransaction } from './sendTransaction.ts'
import type { SignedBid } from './signBid.ts'

export type AssignSignedBidParameters = {
  addresses: Deployment['addresses']
  bid: SignedBid
}

export type AssignSignedBidReturnType = {
  hash: Hash
  node: Address
  bidIndex: number
  commitDeadline: bigint
}

/** Assigns `bid.taskId` to the signer of `bid`; returns the node and deadline. */
export async function assignSignedBid(
  clients: ChainClients,
  p: AssignSignedBidParameters,
): Promise<AssignSignedBidReturnType> {
  const { bid } = p
  const { hash, receipt } = await sendTransaction(clients, {
    address: p.addresses.TaskMarket,
    abi: taskMarketAbi,
    functionName: 'assignSignedBid',
    args: [bid.taskId, bid.price, bid.expiry, bid.signature],
  })
  const [event] = parseEventLogs({
    abi: taskMarketAbi,
    eventName: 'TaskAssigned',
    logs: receipt.logs,
  })
  if (!event) throw new Error(`assignSignedBid ${hash}: no TaskAssigned event`)
  return {
    hash,
    node: event.args.node,
    bidIndex: event.args.bidIndex,
    commitDeadline: BigInt(event.args.commitDeadline),
  }
}
