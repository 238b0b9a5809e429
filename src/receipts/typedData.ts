// EIP-712 typed data of a receipt. The domain pins the chain and the task
// market, so a receipt cannot be replayed on another deployment.
import type { Address, TypedDataDomain } from 'viem'
import type { Receipt } from './types.ts'

export const receiptTypes = {
  Receipt: [
    { name: 'taskId', type: 'uint256' },
    { name: 'node', type: 'address' },
    { name: 'modelDigest', type: 'bytes32' },
    { name: 'inputHash', type: 'bytes32' },
    { name: 'samplingHash', type: 'bytes32' },
    { name: 'seed', type: 'uint64' },
    { name: 'outputHash', type: 'bytes32' },
    { name: 'outputTokens', type: 'uint32' },
    { name: 'commitmentHash', type: 'bytes32' },
    { name: 'engine', type: 'string' },
    { name: 'backend', type: 'string' },
    { name: 'deviceClass', type: 'string' },
  ],
} as const

export type ReceiptDomainParameters = {
  chainId: number
  /** The TaskMarket address. */
  verifyingContract: Address
}

export function receiptDomain(p: ReceiptDomainParameters): TypedDataDomain {
  return {
    name: 'PocketCloudMLX Receipt',
    version: '1',
    chainId: p.chainId,
    verifyingContract: p.verifyingContract,
  }
}
