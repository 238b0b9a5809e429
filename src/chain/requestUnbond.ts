// Moves free stake to unbonding (restarts the unbonding timer).
import type { Hash } from 'viem'
import { stakingAbi } from './abis.ts'
import type { Deployment } from './deployment.ts'
import type { ChainClients } from './getContracts.ts'
import { sendTransaction } from './sendTransaction.ts'

export type RequestUnbondParameters = {
  addresses: Deployment['addresses']
  amount: bigint
}

export type RequestUnbondReturnType = { hash: Hash }

/** Moves free stake to unbonding (restarts the unbonding timer). */
export async function requestUnbond(
  clients: ChainClients,
  p: RequestUnbondParameters,
): Promise<RequestUnbondReturnType> {
  const { hash } = await sendTransaction(clients, {
    address: p.addresses.Staking,
    abi: stakingAbi,
    functionName: 'requestUnbond',
    args: [p.amount],
  })
  return { hash }
}
