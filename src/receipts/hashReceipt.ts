// The EIP-712 hash of a receipt: what the node commits on chain.
import { type Hex, hashTypedData } from 'viem'
import { type ReceiptDomainParameters, receiptTypedData } from './typedData.ts'
import type { Receipt } from './types.ts'

export type HashReceiptParameters = ReceiptDomainParameters & {
  receipt: Receipt
}

/** keccak256 of the EIP-712 encoding of `receipt` under the market domain. */
export function hashReceipt(p: HashReceiptParameters): Hex {
  return hashTypedData(receiptTypedData(p, p.receipt))
}
