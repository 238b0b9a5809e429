// The assigned node commits its receipt hash and output (inline or by URI).
import type { Hash, Hex } from 'viem'
import { taskMarketAbi } from './abis.ts'
import type { Deployment } from './deployment.ts'
import type { ChainClients } from './getContracts.ts'
import { sendTransaction } from './sendTransaction.ts'

export type CommitResultParameters = {
  addresses: Deployment['addresses']
  taskId: bigint
  /** EIP-712 hash of the signed receipt. */
  receiptHash: Hex
  /** Hash of the output token ids. */
  outputHash: Hex
  /** Inline output bytes (`0x` when using `outputURI`). */
  output: Hex
  outputURI: string
  /** Called once the tx is sent, before its receipt (fault tests). */
  onSent?: (hash: Hash) => void
}

export type CommitResultReturnType = { hash: Hash }

/** The assigned node commits its receipt hash and output (inline or by URI). */
export async function commitResult(
  clients: ChainClients,
  p: CommitResultParameters,
): Promise<CommitResultReturnType> {
  const { hash } = await sendTransaction(clients, {
    address: p.addresses.TaskMarket,
    abi: taskMarketAbi,
    functionName: 'commitResult',
    args: [p.taskId, p.receiptHash, p.outputHash, p.output, p.outputURI],
    onSent: p.onSent,
  })
  return { hash }
}
