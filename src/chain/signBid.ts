// A node signs an EIP-712 bid off chain; the requester submits it with the
// assignment (`assignSignedBid`), so losing bids never cost gas and the
// node's stake is locked only when it wins.
import type { Hex } from 'viem'
import type { Deployment } from './deployment.ts'
import type { ChainClients } from './getContracts.ts'

export type SignBidParameters = {
  addresses: Deployment['addresses']
  taskId: bigint
  price: bigint
  /** Unix seconds after which the bid cannot be assigned. */
  expiry: bigint
}

export type SignedBid = {
  taskId: bigint
  price: bigint
  expiry: bigint
  signature: Hex
}

/** EIP-712 types of a bid (must match `TaskMarket.BID_TYPEHASH`). */
export const bidTypes = {
  Bid: [
    { name: 'taskId', type: 'uint256' },
    { name: 'price', type: 'uint96' },
    { name: 'expiry', type: 'uint64' },
  ],
} as const

/** Signs `Bid(taskId, price, expiry)` with the node's wallet. */
export async function signBid(
  clients: ChainClients,
  p: SignBidParameters,
): Promise<SignedBid> {
  const chainId = await clients.public.getChainId()
  const signature = await clients.wallet.signTypedData({
    account: clients.wallet.account,
    domain: {
      name: 'PocketTaskMarket',
      version: '1',
      chainId,
      verifyingContract: p.addresses.TaskMarket,
    },
    types: bidTypes,
    primaryType: 'Bid',
    message: { taskId: p.taskId, price: p.price, expiry: p.expiry },
  })
  return { taskId: p.taskId, price: p.price, expiry: p.expiry, signature }
}

/** EIP-712 types of a quote (must match `TaskMarket.QUOTE_TYPEHASH`). */
export const quoteTypes = {
  Quote: [
    { name: 'requester', type: 'address' },
    { name: 'modelDigest', type: 'bytes32' },
    { name: 'inputHash', type: 'bytes32' },
    { name: 'samplingHash', type: 'bytes32' },
    { name: 'seed', type: 'uint64' },
    { name: 'execWindow', type: 'uint32' },
    { name: 'price', type: 'uint96' },
    { name: 'expiry', type: 'uint64' },
  ],
} as const
