// A staked node bids on a posted task; the bid locks `price` of its stake.
import { type Hash, parseEventLogs } from 'viem'
import { taskMarketAbi } from './abis.ts'
import type { Deployment } from './deployment.ts'
import type { ChainClients } from './getContracts.ts'
import { sendTransaction } from './sendTransaction.ts'

export type PlaceBidParameters = {
  addresses: Deployment['addresses']
  taskId: bigint
  price: bigint
  /** Called once the tx is sent, before its receipt (fault tests). */
  onSent?: (hash: Hash) => void
}

export type PlaceBidReturnType = { hash: Hash; bidIndex: number }

/** Places a bid; returns its index from the `BidPlaced` event. */
export async function placeBid(
  clients: ChainClients,
  p: PlaceBidParameters,
): Promise<PlaceBidReturnType> {
  const { hash, receipt } = await sendTransaction(clients, {
    address: p.addresses.TaskMarket,
    abi: taskMarketAbi,
    functionName: 'placeBid',
    args: [p.taskId, p.price],
    onSent: p.onSent,
  })
  const [event] = parseEventLogs({
    abi: taskMarketAbi,
    eventName: 'BidPlaced',
    logs: receipt.logs,
  })
  if (!event) throw new Error(`placeBid ${hash}: no BidPlaced event`)
  return { hash, bidIndex: event.args.bidIndex }
}
