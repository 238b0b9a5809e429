// Shared write path for the typed actions: simulate (so reverts surface as
// decoded custom errors before anything is sent), send, wait for the receipt.
import type {
  Abi,
  Address,
  ContractFunctionArgs,
  ContractFunctionName,
  Hash,
  TransactionReceipt,
} from 'viem'
import type { ChainClients } from './getContracts.ts'

export type SendTransactionParameters<
  abi extends Abi,
  name extends ContractFunctionName<abi, 'nonpayable' | 'payable'>,
> = {
  address: Address
  abi: abi
  functionName: name
  args: ContractFunctionArgs<abi, 'nonpayable' | 'payable', name>
  /**
   * Block to simulate against. 'pending' for calls that must run in a later
   * block than the latest one (a challenge's seed reveal reads its hash).
   */
  simulateAt?: 'latest' | 'pending'
  /** Called once the tx is sent, before waiting for its receipt. */
  onSent?: (hash: Hash) => void
}

export type SendTransactionReturnType = {
  hash: Hash
  receipt: TransactionReceipt
}

/** Simulates, sends and waits for one contract call; throws on revert. */
export async function sendTransaction<
  const abi extends Abi,
  name extends ContractFunctionName<abi, 'nonpayable' | 'payable'>,
>(
  clients: ChainClients,
  parameters: SendTransactionParameters<abi, name>,
): Promise<SendTransactionReturnType> {
  // viem cannot narrow the generic call here; the parameter types above are
  // what keeps callers honest
  const { simulateAt, onSent, ...call } = parameters
  const { request } = await clients.public.simulateContract({
    ...(call as object),
    account: clients.wallet.account,
    ...(simulateAt ? { blockTag: simulateAt } : {}),
  } as never)
  const hash = await clients.wallet.writeContract(request as never)
  onSent?.(hash)
  const receipt = await clients.public.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success') {
    throw new Error(`transaction ${hash} reverted`)
  }
  return { hash, receipt }
}
