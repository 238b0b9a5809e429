// Withdraws unbonded stake after the unbonding period.
import type { Hash } from 'viem'
import { stakingAbi } from './abis.ts'
import type { Deployment } from './deployment.ts'
import type { ChainClients } from './getContracts.ts'
import { sendTransaction } from './sendTransaction.ts'

export type WithdrawUnbondedParameters = {
  addresses: Deployment['addresses']
}

export type WithdrawUnbondedReturnType = { hash: Hash }

/** Withdraws unbonded stake after the unbonding period. */
export async function withdrawUnbonded(
  clients: ChainClients,
  p: WithdrawUnbondedParameters,
): Promise<WithdrawUnbondedReturnType> {
  const { hash } = await sendTransaction(clients, {
    address: p.addresses.Staking,
    abi: stakingAbi,
    functionName: 'withdrawUnbonded',
    args: [],
  })
  return { hash }
}
