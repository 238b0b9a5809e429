// viem clients for a daemon: an HTTP public client (retrying transport) and
// a wallet client bound to the node's local account.
import {
  type Account,
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  type PublicClient,
} from 'viem'
import type { ChainClients } from '../src/chain/getContracts.ts'

export type CreateClientsParameters = {
  rpcUrl: string
  chainId: number
  account: Account
  /** Poll interval for receipts (ms); short on a local automining node. */
  pollingInterval?: number
}

export function createClients(p: CreateClientsParameters): ChainClients {
  const chain = defineChain({
    id: p.chainId,
    name: p.chainId === 31337 ? 'hardhat' : `chain-${p.chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [p.rpcUrl] } },
  })
  const transport = http(p.rpcUrl, { retryCount: 3, retryDelay: 150 })
  const pollingInterval = p.pollingInterval ?? 250
  return {
    public: createPublicClient({
      chain,
      transport,
      pollingInterval,
    }) as PublicClient,
    wallet: createWalletClient({
      chain,
      transport,
      account: p.account,
      pollingInterval,
    }),
  } as ChainClients
}
