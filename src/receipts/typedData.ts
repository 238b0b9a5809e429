// EIP-712 typed data of a receipt. The domain pins the chain and the task
// market, so a receipt cannot be replayed on another deployment. Two struct
// versions exist: v2 (current) binds the activation dtype the node ran in;
// v1 receipts (made before it was recorded) hash and verify as they were
// signed and are audited as float32. The type strings differ, so the two
// can never produce the same hash.
import type {
  Address,
  TypedData,
  TypedDataDefinition,
  TypedDataDomain,
} from 'viem'
import type { Receipt } from './types.ts'

const v1Fields = [
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
] as const

/** The current receipt struct (v2): v1 plus `activationDtype`. */
export const receiptTypes = {
  Receipt: [...v1Fields, { name: 'activationDtype', type: 'string' }],
} as const

/** The receipt struct before the activation dtype was bound (v1). */
export const receiptTypesV1 = { Receipt: v1Fields } as const

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

/** 2 when the receipt binds an activation dtype, else 1. */
export function receiptVersion(receipt: Receipt): 1 | 2 {
  return receipt.activationDtype === undefined ? 1 : 2
}

/** What `hashTypedData`/`signTypedData` take for `receipt`, by version. */
export function receiptTypedData(
  p: ReceiptDomainParameters,
  receipt: Receipt,
): TypedDataDefinition<TypedData, 'Receipt'> {
  const { activationDtype, ...v1 } = receipt
  const domain = receiptDomain(p)
  return activationDtype === undefined
    ? {
        domain,
        types: receiptTypesV1,
        primaryType: 'Receipt' as const,
        message: v1,
      }
    : {
        domain,
        types: receiptTypes,
        primaryType: 'Receipt' as const,
        message: { ...v1, activationDtype },
      }
}
