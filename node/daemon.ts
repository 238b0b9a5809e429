// The node daemon: watch the chain -> bid by policy -> run assigned tasks in
// verified mode -> commit receipt + output -> finalize and claim -> serve as
// juror. Level-triggered: every tick re-reads each open task's chain state
// and does the one next step it needs, so restarts, lost RPC answers and
// reorgs all converge. Every transaction is recorded as an intent before it
// is sent (node/store.ts); the chain state, not the DB, decides whether it
// landed, so nothing is sent twice and nothing owed is forgotten.
import { type Address, type Hex, isAddressEqual, parseEventLogs } from 'viem'
import { taskMarketAbi } from '../src/chain/abis.ts'
import { commitResult } from '../src/chain/commitResult.ts'
import type { Deployment } from '../src/chain/deployment.ts'
import { finalizeTask } from '../src/chain/finalizeTask.ts'
import type { ChainClients } from '../src/chain/getContracts.ts'
import { getTask } from '../src/chain/getTask.ts'
import { placeBid } from '../src/chain/placeBid.ts'
import { sendTransaction } from '../src/chain/sendTransaction.ts'
import {
  buildReceipt,
  encodeOutput,
  signReceipt,
} from '../src/receipts/index.ts'
import { type Executor, engineIdentity, executeTask } from './executeTask.ts'
import { serveAsJuror } from './juror.ts'
import type { ModelShelf } from './modelShelf.ts'
import {
  type BidPolicy,
  defaultBidPolicy,
  type PowerState,
  readPowerState,
  shouldBid,
} from './policy.ts'
import { withRetry } from './rpc.ts'
import { scanEvents } from './scanEvents.ts'
import type { NodeStore } from './store.ts'
import type { ChallengedEvent, PostedEvent } from './taskEvents.ts'

export type NodeDaemonParameters = {
  clients: ChainClients
  deployment: Pick<Deployment, 'addresses' | 'startBlock' | 'chainId'>
  store: NodeStore
  models: ModelShelf
  policy?: Partial<BidPolicy>
  executor?: Executor
  pollMs?: number
  power?: () => PowerState
  log?: (msg: string) => void
  /**
   * Fault injection for crash tests, called right after a tx is sent and
   * before it is recorded (the CLI maps POCKET_FAULT to SIGKILL here).
   */
  onFault?: (point: 'commit-sent' | 'finalize-sent' | 'withdraw-sent') => void
}

const TERMINAL = [
  'skipped',
  'lost',
  'claimed',
  'slashed',
  'cancelled',
  'timedout',
] as const

export class NodeDaemon {
  readonly address: Address
  #p: NodeDaemonParameters
  #policy: BidPolicy
  #stopped = false
  #loop: Promise<void> | undefined

  constructor(p: NodeDaemonParameters) {
    this.#p = p
    this.#policy = { ...defaultBidPolicy, ...p.policy }
    this.address = p.clients.wallet.account.address
  }

  #log(msg: string) {
    this.#p.log?.(`[node ${this.address.slice(0, 8)}] ${msg}`)
  }

  start(): void {
    this.#stopped = false
    this.#loop ??= (async () => {
      let failures = 0
      while (!this.#stopped) {
        try {
          await this.tick()
          failures = 0
        } catch (e) {
          failures++
          this.#log(
            `tick failed (${failures}): ${(e as Error).message.split('\n')[0]}`,
          )
        }
        const wait = (this.#p.pollMs ?? 300) * Math.min(2 ** failures, 32)
        await new Promise((r) => setTimeout(r, wait))
      }
    })()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    await this.#loop
    this.#loop = undefined
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop()
  }

  /** One pass: scan new events, then advance every open task and challenge. */
  async tick(): Promise<void> {
    const { clients, deployment, store } = this.#p
    const { head, posted, challenges } = await scanEvents({
      clients,
      deployment,
      store,
    })
    for (const t of posted) store.addTask(t.taskId, t, Number(t.blockNumber))
    for (const c of challenges)
      if (c.jurors.some((j) => isAddressEqual(j, this.address)))
        store.set(`challenge:${c.taskId}`, JSON.stringify(c, big))
    for (const row of store.activeTasks(TERMINAL)) {
      if (this.#stopped) return
      const posted = JSON.parse(row.posted, revive) as PostedEvent
      await this.#advance(posted, row.status, head.timestamp)
    }
    for (const row of store.db
      .prepare("select key, value from meta where key like 'challenge:%'")
      .all() as {
      key: string
      value: string
    }[]) {
      const ch = JSON.parse(row.value, revive) as ChallengedEvent
      if (head.timestamp > ch.voteRevealDeadline) {
        store.db.prepare('delete from meta where key = ?').run(row.key)
        continue
      }
      await serveAsJuror(
        { ...this.#p, log: (m) => this.#log(m) },
        ch,
        head.timestamp,
      )
    }
  }

  async #advance(
    task: PostedEvent,
    status: string,
    now: bigint,
  ): Promise<void> {
    const { clients, deployment, store, models } = this.#p
    const { addresses } = deployment
    const id = task.taskId
    const t = await withRetry('getTask', () =>
      getTask(clients, { addresses, taskId: id }),
    )
    const mine =
      t.assignedNode !== undefined &&
      isAddressEqual(t.assignedNode, this.address)
    switch (t.state) {
      case 'Posted': {
        if (t.bids.some((b) => isAddressEqual(b.node, this.address))) {
          store.setBid(
            id,
            t.bids.find((b) => isAddressEqual(b.node, this.address))?.price ??
              0n,
            'confirmed',
          )
          if (status !== 'bid') store.setTaskStatus(id, 'bid')
          return
        }
        if (now >= task.bidDeadline) return
        const decision = shouldBid({
          policy: this.#policy,
          maxPrice: task.maxPrice,
          holdsModel: models.holds(task.modelDigest),
          queueLength:
            store.countTasks('assigned') +
            store.countTasks('running') +
            store.countTasks('computed'),
          power: (this.#p.power ?? readPowerState)(),
        })
        if (!decision.bid) {
          const permanent =
            decision.reason === 'model not held' ||
            decision.reason === 'below price floor'
          if (permanent) store.setTaskStatus(id, 'skipped')
          this.#log(`task ${id}: no bid (${decision.reason})`)
          return
        }
        store.setBid(id, decision.price, 'intent')
        const { hash } = await placeBid(clients, {
          addresses,
          taskId: id,
          price: decision.price,
        })
        store.setBid(id, decision.price, 'confirmed', hash)
        store.setTaskStatus(id, 'bid')
        this.#log(`task ${id}: bid ${decision.price}`)
        return
      }
      case 'Assigned': {
        if (!mine) return store.setTaskStatus(id, 'lost')
        if (now > t.deadline) return
        let result = store.commit(id)
        if (!result) {
          store.setTaskStatus(id, 'running')
          await this.#compute(task)
          result = store.commit(id)
          if (!result) return
        }
        store.setCommitStatus(id, 'sent')
        const { hash } = await commitResult(clients, {
          addresses,
          taskId: id,
          receiptHash: result.receipt_hash as Hex,
          outputHash: result.output_hash as Hex,
          output: result.output as Hex,
          outputURI: '',
        })
        this.#p.onFault?.('commit-sent')
        store.setCommitStatus(id, 'confirmed', hash)
        store.setTaskStatus(id, 'committed')
        this.#log(`task ${id}: committed`)
        return
      }
      case 'Committed':
      case 'ChallengePending':
      case 'Challenged': {
        if (!mine) return store.setTaskStatus(id, 'lost')
        if (store.commit(id)?.status !== 'confirmed')
          store.setCommitStatus(id, 'confirmed')
        const next = t.state === 'Committed' ? 'committed' : 'challenged'
        if (status !== next) store.setTaskStatus(id, next)
        if (t.state === 'Committed' && now > t.deadline) {
          store.setClaim(id, 'finalize', 'intent')
          // finalizeTask pays the node in the same call (no withdraw needed)
          const { hash } = await finalizeTask(clients, {
            addresses,
            taskId: id,
          })
          this.#p.onFault?.('finalize-sent')
          store.setClaim(id, 'finalize', 'confirmed', { txHash: hash })
        }
        return
      }
      case 'Finalized': {
        if (!mine) return store.setTaskStatus(id, 'lost')
        if (store.claim(id, 'finalize')?.status !== 'confirmed')
          store.setClaim(id, 'finalize', 'confirmed')
        await this.#claim(id)
        return
      }
      case 'Slashed':
        return store.setTaskStatus(id, mine ? 'slashed' : 'lost')
      case 'Cancelled':
        return store.setTaskStatus(id, 'cancelled')
      case 'TimedOut':
        return store.setTaskStatus(id, mine ? 'timedout' : 'lost')
    }
  }

  /** Runs the task and stores the signed result (once; restarts reuse it). */
  async #compute(task: PostedEvent): Promise<void> {
    const { clients, deployment, store, models } = this.#p
    const model = await models.get(task.modelDigest)
    if (!model)
      throw new Error(`task ${task.taskId}: model ${task.modelDigest} not held`)
    const run = await (this.#p.executor ?? executeTask)(model, task)
    const id = engineIdentity(model)
    const receipt = buildReceipt({
      task,
      node: this.address,
      tokenIds: run.tokenIds,
      commitments: run.commitments,
      ...id,
    })
    const { hash, signature } = await signReceipt({
      chainId: deployment.chainId,
      verifyingContract: deployment.addresses.TaskMarket,
      account: clients.wallet.account as Parameters<
        typeof signReceipt
      >[0]['account'],
      receipt,
    })
    const output = encodeOutput({
      tokenIds: run.tokenIds,
      commitments: run.commitments,
      signature,
      text: run.text,
      ...id,
    })
    store.saveResult(task.taskId, {
      output,
      receiptHash: hash,
      outputHash: receipt.outputHash,
    })
    store.setTaskStatus(task.taskId, 'computed')
  }

  /** Pulls what the market owes us; a claim already pulled is never repeated. */
  async #claim(id: bigint): Promise<void> {
    const { clients, deployment, store } = this.#p
    const owed = await withRetry('owedOf', () =>
      clients.public.readContract({
        address: deployment.addresses.TaskMarket,
        abi: taskMarketAbi,
        functionName: 'owedOf',
        args: [this.address],
      }),
    )
    if (owed > 0n) {
      store.setClaim(id, 'withdraw', 'intent')
      const { hash, receipt } = await sendTransaction(clients, {
        address: deployment.addresses.TaskMarket,
        abi: taskMarketAbi,
        functionName: 'withdraw',
        args: [],
      })
      this.#p.onFault?.('withdraw-sent')
      const [ev] = parseEventLogs({
        abi: taskMarketAbi,
        eventName: 'Withdrawn',
        logs: receipt.logs,
      })
      store.setClaim(id, 'withdraw', 'confirmed', {
        txHash: hash,
        amount: ev?.args.amount ?? owed,
      })
      this.#log(`task ${id}: claimed ${owed}`)
    } else {
      // nothing owed: an earlier withdraw (maybe before a crash) took it
      store.setClaim(id, 'withdraw', 'confirmed')
    }
    store.setTaskStatus(id, 'claimed')
  }
}

export function big(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v
}

export function revive(_k: string, v: unknown): unknown {
  return typeof v === 'string' && /^\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v
}
