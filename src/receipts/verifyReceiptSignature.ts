// Checks that a receipt was signed by the node it names.
import { type Hex, isAddressEqual, recoverTypedDataAddress } from 'viem'
import { type ReceiptDomainParameters, receiptTypedData } from './typedData.ts'
import type { Receipt } from './types.ts'

export type VerifyReceiptSignatureParameters = ReceiptDomainParameters & {
  receipt: Receipt
  signature: Hex
}

/** True when `signature` recovers to `receipt.node`; false on any failure. */
export async function verifyReceiptSignature(
  p: VerifyReceiptSignatureParameters,
): Promise<boolean> {
  try {
    const signer = await recoverTypedDataAddress({
      ...receiptTypedData(p, p.receipt),
      signature: p.signature,
    })
    return isAddressEqual(signer, p.receipt.node)
  } catch {
    return false
  }
}
