// Stakes $POCKET for the wallet's account (approving Staking when needed).
import type { Hash } from 'viem'
import { pocketTokenAbi, stakingAbi } from './abis.ts'
import type { Deployment } from './deployment.ts'
import type { ChainClients } from './getContracts.ts'
import { sendTransaction } from './sendTransaction.ts'

export type StakeParameters = {
  addresses: Deployment['addresses']
  amount: bigint
}

export type StakeReturnType = { hash: Hash }

/** Approves (if needed) and stakes `amount`. */
export async function stake(
  clients: ChainClients,
  p: StakeParameters,
): Promise<StakeReturnType> {
  const allowance = await clients.public.readContract({
    address: p.addresses.PocketToken,
    abi: pocketTokenAbi,
    functionName: 'allowance',
    args: [clients.wallet.account.address, p.addresses.Staking],
  })
  if (allowance < p.amount) {
    await sendTransaction(clients, {
      address: p.addresses.PocketToken,
      abi: pocketTokenAbi,
      functionName: 'approve',
      args: [p.addresses.Staking, p.amount],
    })
  }
  const { hash } = await sendTransaction(clients, {
    address: p.addresses.Staking,
    abi: stakingAbi,
    functionName: 'stake',
    args: [p.amount],
  })
  return { hash }
}
