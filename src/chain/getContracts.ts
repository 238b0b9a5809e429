// Typed viem contract instances for a deployment.
import {
  type Account,
  type Chain,
  getContract,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem'
import { pocketTokenAbi, stakingAbi, taskMarketAbi } from './abis.ts'
import type { Deployment } from './deployment.ts'

/** A public client for reads and receipts plus a wallet client that signs. */
export type ChainClients = {
  public: PublicClient
  wallet: WalletClient<Transport, Chain | undefined, Account>
}

export type GetContractsParameters = {
  deployment: Pick<Deployment, 'addresses'>
  clients: ChainClients
}

/** Returns typed `read`/`write`/`getEvents` handles for the three contracts. */
export function getContracts({ deployment, clients }: GetContractsParameters) {
  const client = { public: clients.public, wallet: clients.wallet }
  const { addresses } = deployment
  return {
    token: getContract({
      address: addresses.PocketToken,
      abi: pocketTokenAbi,
      client,
    }),
    staking: getContract({
      address: addresses.Staking,
      abi: stakingAbi,
      client,
    }),
    market: getContract({
      address: addresses.TaskMarket,
      abi: taskMarketAbi,
      client,
    }),
  }
}

export type GetContractsReturnType = ReturnType<typeof getContracts>
