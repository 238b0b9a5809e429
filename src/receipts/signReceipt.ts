// Signs a receipt with the node key (EIP-712 `signTypedData`).
import type { Hex, LocalAccount } from 'viem'
import { hashReceipt } from './hashReceipt.ts'
import { type ReceiptDomainParameters, receiptTypedData } from './typedData.ts'
import type { Receipt } from './types.ts'

export type SignReceiptParameters = ReceiptDomainParameters & {
  account: Pick<LocalAccount, 'address' | 'signTypedData'>
  receipt: Receipt
}

export type SignReceiptReturnType = { hash: Hex; signature: Hex }

/** Signs `receipt`; `receipt.node` must be the signing account. */
export async function signReceipt(
  p: SignReceiptParameters,
): Promise<SignReceiptReturnType> {
  if (p.receipt.node.toLowerCase() !== p.account.address.toLowerCase())
    throw new Error(
      `receipt node ${p.receipt.node} is not the signer ${p.account.address}`,
    )
  const signature = await p.account.signTypedData(
    receiptTypedData(p, p.receipt),
  )
  return { hash: hashReceipt(p), signature }
}
