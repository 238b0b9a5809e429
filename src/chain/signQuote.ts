// A node quotes a price for a task that is not posted yet (EIP-712 `Quote`);
// the requester posts the task assigned to the best quote in one call
// (`postTaskWithQuote`), so post, bid and assignment cost one transaction.
import { type Address, type Hex, keccak256 } from 'viem'
import type { Deployment } from './deployment.ts'
import type { ChainClients } from './getContracts.ts'
import { asBytes } from './postTask.ts'
import { quoteTypes } from './signBid.ts'

export type QuoteSpec = {
  modelDigest: Hex
  inputHash: Hex
  /** Canonical encoding of the sampling parameters (bytes or UTF-8 JSON). */
  samplingParams?: Hex | string
  seed: bigint
  execWindow: number
}

export type SignQuoteParameters = {
  addresses: Deployment['addresses']
  requester: Address
  spec: QuoteSpec
  /** The price; the requester escrows exactly this. */
  price: bigint
  /** Unix seconds after which the quote cannot be used. */
  expiry: bigint
}

export type SignedQuote = {
  requester: Address
  spec: QuoteSpec
  price: bigint
  expiry: bigint
  signature: Hex
}

/** Signs `Quote(requester, model, input, sampling hash, seed, execWindow, price, expiry)`. */
export async function signQuote(
  clients: ChainClients,
  p: SignQuoteParameters,
): Promise<SignedQuote> {
  const chainId = await clients.public.getChainId()
  const signature = await clients.wallet.signTypedData({
    account: clients.wallet.account,
    domain: {
      name: 'PocketTaskMarket',
      version: '1',
      chainId,
      verifyingContract: p.addresses.TaskMarket,
    },
    types: quoteTypes,
    primaryType: 'Quote',
    message: {
      requester: p.requester,
      modelDigest: p.spec.modelDigest,
      inputHash: p.spec.inputHash,
      samplingHash: keccak256(asBytes(p.spec.samplingParams)),
      seed: p.spec.seed,
      execWindow: p.spec.execWindow,
      price: p.price,
      expiry: p.expiry,
    },
  })
  const { requester, spec, price, expiry } = p
  return { requester, spec, price, expiry, signature }
}
