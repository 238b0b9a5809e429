// Scans new TaskPosted / TaskChallenged events since the stored cursor.
// The cursor keeps the hash of its block: when that block is no longer on
// the canonical chain (a reorg), the cursor rewinds and the range is
// scanned again; re-seen events are idempotent in the store.
import type { Block } from 'viem'
import type { Deployment } from '../src/chain/deployment.ts'
import type { ChainClients } from '../src/chain/getContracts.ts'
import { withRetry } from './rpc.ts'
import type { NodeStore } from './store.ts'
import {
  type ChallengedEvent,
  type CommittedEvent,
  challengesIn,
  committedTasks,
  type PostedEvent,
  postedTasksIn,
} from './taskEvents.ts'

export type ScanEventsParameters = {
  clients: Pick<ChainClients, 'public'>
  deployment: Pick<Deployment, 'addresses' | 'startBlock'>
  store: NodeStore
  /** Blocks re-scanned after a reorg is detected. */
  rewind?: number
  /** Largest block range per log query. */
  maxRange?: number
  /** Also fetch TaskCommitted events (auditors). */
  committed?: boolean
}

export type ScanEventsReturnType = {
  head: { number: bigint; hash: `0x${string}`; timestamp: bigint }
  posted: PostedEvent[]
  challenges: ChallengedEvent[]
  committed: CommittedEvent[]
  reorged: boolean
}

export async function scanEvents(
  p: ScanEventsParameters,
): Promise<ScanEventsReturnType> {
  const { clients, deployment, store } = p
  const head = (await withRetry('getBlock', () =>
    clients.public.getBlock({ blockTag: 'latest' }),
  )) as Block
  const headInfo = {
    number: head.number as bigint,
    hash: head.hash as `0x${string}`,
    timestamp: head.timestamp,
  }
  const first = BigInt(deployment.startBlock)
  let from = first
  let reorged = false
  const cursor = store.get('cursor')
  if (cursor) {
    const [n, hash] = cursor.split(':') as [string, string]
    const block = BigInt(n)
    const canonical =
      block <= headInfo.number
        ? await withRetry('getBlock', () =>
            clients.public.getBlock({ blockNumber: block }),
          ).catch(() => undefined)
        : undefined
    if (canonical?.hash === hash) from = block + 1n
    else {
      reorged = true
      const back = block - BigInt(p.rewind ?? 64)
      from = back > first ? back : first
      if (from > headInfo.number + 1n) from = headInfo.number + 1n
    }
  }
  const posted: PostedEvent[] = []
  const challenges: ChallengedEvent[] = []
  const committed: CommittedEvent[] = []
  const step = BigInt(p.maxRange ?? 2000)
  for (let lo = from; lo <= headInfo.number; lo += step) {
    const hi =
      lo + step - 1n < headInfo.number ? lo + step - 1n : headInfo.number
    const range = { fromBlock: lo, toBlock: hi }
    posted.push(
      ...(await withRetry('getLogs', () =>
        postedTasksIn(clients, deployment.addresses, range),
      )),
    )
    challenges.push(
      ...(await withRetry('getLogs', () =>
        challengesIn(clients, deployment.addresses, range),
      )),
    )
    if (p.committed)
      committed.push(
        ...(await withRetry('getLogs', () =>
          committedTasks(clients, deployment, range),
        )),
      )
  }
  store.set('cursor', `${headInfo.number}:${headInfo.hash}`)
  return { head: headInfo, posted, challenges, committed, reorged }
}
