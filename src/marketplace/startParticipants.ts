// The marketplace's participants on the local chain, all sharing one loaded
// model: one node daemon (bids, runs tasks in verified mode, commits
// receipts, finalizes and withdraws), one auditor (re-verifies every
// committed receipt and would challenge a bad one) and the jurors a
// challenge needs (staked daemons that never bid; the jury is drawn from
// stakers other than the node and the challenger). Daemon state lives in
// SQLite files under `dir`.
import { join } from 'node:path'
import { type Address, maxUint96 } from 'viem'
import { Auditor } from '../../node/auditor.ts'
import { NodeDaemon } from '../../node/daemon.ts'
import type { ModelShelf } from '../../node/modelShelf.ts'
import { NodeStore } from '../../node/store.ts'
import type { LocalChain } from './startLocalChain.ts'

/** Dev account indexes of each role. */
export const roles = {
  requester: 1,
  node: 2,
  auditor: 3,
  jurors: [4, 5, 6],
} as const

export type StartParticipantsParameters = {
  chain: LocalChain
  models: ModelShelf
  dir: string
  /** The node's bid (its price floor). */
  price: bigint
  pollMs?: number
  log?: (line: string) => void
}

export type Participants = {
  node: NodeDaemon
  nodeStore: NodeStore
  auditor: Auditor
  auditorStore: NodeStore
  jurors: Address[]
  /** Stops every daemon loop and closes the stores; safe to call twice. */
  stop: () => Promise<void>
}

export function startParticipants(
  p: StartParticipantsParameters,
): Participants {
  const { chain, models, dir } = p
  const pollMs = p.pollMs ?? 250
  const common = {
    deployment: chain.deployment,
    models,
    power: () => ({}),
    pollMs,
    log: p.log,
  }
  const stores: NodeStore[] = []
  const open = (name: string) => {
    const s = new NodeStore(join(dir, `${name}.db`))
    stores.push(s)
    return s
  }
  const nodeStore = open('node')
  const node = new NodeDaemon({
    ...common,
    clients: chain.clients(roles.node),
    store: nodeStore,
    policy: { priceFloor: p.price, maxQueue: 16 },
  })
  const auditorStore = open('auditor')
  const auditor = new Auditor({
    ...common,
    clients: chain.clients(roles.auditor),
    store: auditorStore,
    sampleRate: 1,
  })
  const jurors = roles.jurors.map(
    (i) =>
      new NodeDaemon({
        ...common,
        clients: chain.clients(i),
        store: open(`juror${i}`),
        // a floor no task reaches: these only serve on juries
        policy: { priceFloor: maxUint96 },
        pollMs: pollMs * 4,
      }),
  )
  const running = [node, auditor, ...jurors]
  for (const r of running) r.start()
  let stopping: Promise<void> | undefined
  return {
    node,
    nodeStore,
    auditor,
    auditorStore,
    jurors: jurors.map((j) => j.address),
    stop() {
      stopping ??= (async () => {
        await Promise.all(running.map((r) => r.stop()))
        for (const s of stores) s.close()
      })()
      return stopping
    },
  }
}
