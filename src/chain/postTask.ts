// Posts an inference task with maxPrice in escrow (approves the market first
// when the allowance is short).
import { type Address, type Hash, type Hex, parseEventLogs, toHex } from 'viem'
import { pocketTokenAbi, taskMarketAbi } from './abis.ts'
import type { Deployment } from './deployment.ts'
import type { ChainClients } from './getContracts.ts'
import { sendTransaction } from './sendTransaction.ts'

export type PostTaskParameters = {
  addresses: Deployment['addresses']
  /** sha256 digest of the model's canonical weight manifest. */
  modelDigest: Hex
  inputHash: Hex
  /** Inline input (bytes or UTF-8 text); empty when `inputURI` is used. */
  input?: Hex | string
  inputURI?: string
  /** Canonical encoding of the sampling parameters (bytes or UTF-8 JSON). */
  samplingParams?: Hex | string
  seed: bigint
  maxPrice: bigint
  /** Unix seconds: bids and assignment until then. */
  bidDeadline: bigint
  /** Seconds the assigned node has to commit. */
  execWindow: number
}

export type PostTaskReturnType = { hash: Hash; taskId: bigint }

/** Bytes as given, or the UTF-8 encoding of text. */
export const asBytes = (value: Hex | string | undefined): Hex =>
  value === undefined
    ? '0x'
    : value.startsWith('0x')
      ? (value as Hex)
      : toHex(value)

/** Posts a task; returns its id from the `TaskPosted` event. */
export async function postTask(
  clients: ChainClients,
  p: PostTaskParameters,
): Promise<PostTaskReturnType> {
  const owner: Address = clients.wallet.account.address
  const allowance = await clients.public.readContract({
    address: p.addresses.PocketToken,
    abi: pocketTokenAbi,
    functionName: 'allowance',
    args: [owner, p.addresses.TaskMarket],
  })
  if (allowance < p.maxPrice) {
    await sendTransaction(clients, {
      address: p.addresses.PocketToken,
      abi: pocketTokenAbi,
      functionName: 'approve',
      args: [p.addresses.TaskMarket, p.maxPrice],
    })
  }
  const { hash, receipt } = await sendTransaction(clients, {
    address: p.addresses.TaskMarket,
    abi: taskMarketAbi,
    functionName: 'postTask',
    args: [
      {
        modelDigest: p.modelDigest,
        inputHash: p.inputHash,
        input: asBytes(p.input),
        inputURI: p.inputURI ?? '',
        samplingParams: asBytes(p.samplingParams),
        seed: p.seed,
        maxPrice: p.maxPrice,
        bidDeadline: p.bidDeadline,
        execWindow: p.execWindow,
      },
    ],
  })
  const [event] = parseEventLogs({
    abi: taskMarketAbi,
    eventName: 'TaskPosted',
    logs: receipt.logs,
  })
  if (!event) throw new Error(`postTask ${hash}: no TaskPosted event`)
  return { hash, taskId: event.args.taskId }
}
