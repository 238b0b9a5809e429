// The requester posts a task already assigned to a node's signed quote: one
// transaction for post + bid + assignment, escrow = the quoted price
// (approves the market first when the allowance is short).
import { type Address, type Hash, type Hex, parseEventLogs } from 'viem'
import { pocketTokenAbi, taskMarketAbi } from './abis.ts'
import type { Deployment } from './deployment.ts'
import type { ChainClients } from './getContracts.ts'
import { asBytes } from './postTask.ts'
import { sendTransaction } from './sendTransaction.ts'
import type { SignedQuote } from './signQuote.ts'

export type PostTaskWithQuoteParameters = {
  addresses: Deployment['addresses']
  quote: SignedQuote
  /** Inline input (bytes or UTF-8 text); empty when `inputURI` is used. */
  input?: Hex | string
  inputURI?: string
}

export type PostTaskWithQuoteReturnType = {
  hash: Hash
  taskId: bigint
  node: Address
  commitDeadline: bigint
}

/** Posts and assigns in one call; returns the task id and the quoting node. */
export async function postTaskWithQuote(
  clients: ChainClients,
  p: PostTaskWithQuoteParameters,
): Promise<PostTaskWithQuoteReturnType> {
  const { quote } = p
  const allowance = await clients.public.readContract({
    address: p.addresses.PocketToken,
    abi: pocketTokenAbi,
    functionName: 'allowance',
    args: [clients.wallet.account.address, p.addresses.TaskMarket],
  })
  if (allowance < quote.price) {
    await sendTransaction(clients, {
      address: p.addresses.PocketToken,
      abi: pocketTokenAbi,
      functionName: 'approve',
      args: [p.addresses.TaskMarket, quote.price],
    })
  }
  const { hash, receipt } = await sendTransaction(clients, {
    address: p.addresses.TaskMarket,
    abi: taskMarketAbi,
    functionName: 'postTaskWithQuote',
    args: [
      {
        modelDigest: quote.spec.modelDigest,
        inputHash: quote.spec.inputHash,
        input: asBytes(p.input),
        inputURI: p.inputURI ?? '',
        samplingParams: asBytes(quote.spec.samplingParams),
        seed: quote.spec.seed,
        maxPrice: quote.price,
        bidDeadline: quote.expiry,
        execWindow: quote.spec.execWindow,
      },
      quote.expiry,
      quote.signature,
    ],
  })
  const [event] = parseEventLogs({
    abi: taskMarketAbi,
    eventName: 'TaskAssigned',
    logs: receipt.logs,
  })
  if (!event)
    throw new Error(`postTaskWithQuote ${hash}: no TaskAssigned event`)
  return {
    hash,
    taskId: event.args.taskId,
    node: event.args.node,
    commitDeadline: BigInt(event.args.commitDeadline),
  }
}
