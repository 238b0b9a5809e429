// Withdraws everything the market owes the account (pull payment).
import type { Hash } from 'viem'
import { taskMarketAbi } from './abis.ts'
import type { Deployment } from './deployment.ts'
import type { ChainClients } from './getContracts.ts'
import { sendTransaction } from './sendTransaction.ts'

export type WithdrawParameters = {
  addresses: Deployment['addresses']
}

export type WithdrawReturnType = { hash: Hash }

/** Withdraws everything the market owes the account (pull payment). */
export async function withdraw(
  clients: ChainClients,
  p: WithdrawParameters,
): Promise<WithdrawReturnType> {
  const { hash } = await sendTransaction(clients, {
    address: p.addresses.TaskMarket,
    abi: taskMarketAbi,
    functionName: 'withdraw',
    args: [],
  })
  return { hash }
}
