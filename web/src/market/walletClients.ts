// Chain clients for the post-task form: the local chain's unlocked dev
// account through `pocket start`'s RPC proxy (hardhat node signs), or an
// injected wallet (window.ethereum). The typed actions of src/chain run on
// them unchanged.
import {
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  custom,
  type EIP1193Provider,
  http,
} from 'viem'
import type { ChainClients } from '../../../src/chain/getContracts.ts'
import type { MarketConfig } from './types.ts'

export type WalletSource = 'dev' | 'injected'

declare global {
  interface Window {
    ethereum?: EIP1193Provider
  }
}

export const hasInjectedWallet = (): boolean =>
  typeof window !== 'undefined' && !!window.ethereum

export function localChain(c: MarketConfig): Chain {
  const url = new URL(c.rpcUrl, location.href).href
  return {
    id: c.chainId,
    name: `local chain ${c.chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  }
}

export async function walletClients(
  c: MarketConfig,
  source: WalletSource,
): Promise<ChainClients> {
  const chain = localChain(c)
  const publicClient = createPublicClient({ chain, transport: http() })
  if (source === 'dev') {
    const wallet = createWalletClient({
      chain,
      transport: http(),
      account: c.devAccount,
    })
    return { public: publicClient, wallet } as ChainClients
  }
  const provider = window.ethereum
  if (!provider) throw new Error('No injected wallet (window.ethereum) found.')
  const [address] = (await provider.request({
    method: 'eth_requestAccounts',
  })) as Address[]
  if (!address) throw new Error('The wallet gave no account.')
  const wallet = createWalletClient({
    chain,
    transport: custom(provider),
    account: address,
  })
  return { public: publicClient, wallet } as ChainClients
}
