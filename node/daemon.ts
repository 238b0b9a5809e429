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
import { encodeKeys } from '../src/privacy/sealedTask.ts'
import {
  buildReceipt,
  encodeOutput,
  signReceipt,
} from '../src/receipts/index.ts'
import { type Executor, engineIdentity, executeTask } from './executeTask.ts'
import { serveAsJuror } from './juror.ts'
import type { ModelShelf } from './modelShelf.ts'
import { OpLog, type OpSigner } from './opLog.ts'
import {
  type BidPolicy,
  defaultBidPolicy,
  type PowerState,
  readPowerState,
  shouldBid,
} from './policy.ts'
import {
  announceOn,
  openTaskInput,
  revealOnce,
  sealedOf,
  sealOutputOnce,
} from './privateTasks.ts'
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
   * Fault injection for crash tests (the CLI maps POCKET_FAULT to SIGKILL
   * here): `bid-sent` / `commit-sent` / `withdraw-sent` right after the tx
   * is sent and before its receipt; `committed` after the commit is
   * recorded and before finalize/claim.
   */
  onFault?: (point: FaultPoint) => void
}

export type FaultPoint =
  | 'bid-sent'
  | 'commit-sent'
  | 'committed'
  | 'finalize-sent'
  | 'withdraw-sent'

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
  /** The signed, hash-chained operation log (node/opLog.ts). */
  readonly ops: OpLog

  constructor(p: NodeDaemonParameters) {
    this.#p = p
    this.#policy = { ...defaultBidPolicy, ...p.policy }
    this.address = p.clients.wallet.account.address
    this.ops = new OpLog(
      p.store.db,
      p.clients.wallet.account as unknown as OpSigner,
    )
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
    for (const t of posted) {
      store.addTask(t.taskId, t, Number(t.blockNumber))
      // a private task's readers find our key on its relay (jurors too)
      const sealed = sealedOf(t)
      if (sealed)
        await announceOn(this.#p, sealed.relay).catch((e) =>
          this.#log(`relay ${sealed.d.relay}: ${(e as Error).message}`),
        )
    }
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
          const price =
            t.bids.find((b) => isAddressEqual(b.node, this.address))?.price ??
            0n
          // a bid sent before a crash, found on chain: log it once
          if (store.bid(id)?.status !== 'confirmed')
            await this.ops.append('bid', id, { price, reconciled: 'chain' })
          store.setBid(id, price, 'confirmed')
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
          onSent: () => this.#p.onFault?.('bid-sent'),
        })
        store.setBid(id, decision.price, 'confirmed', hash)
        await this.ops.append('bid', id, { price: decision.price, tx: hash })
        store.setTaskStatus(id, 'bid')
        this.#log(`task ${id}: bid ${decision.price}`)
        return
      }
      case 'Assigned': {
        if (!mine) return store.setTaskStatus(id, 'lost')
        if (now > t.deadline) return
        let result = store.commit(id)
        if (!result) {
          const opened = await openTaskInput(this.#p, task)
          if (!opened) return this.#log(`task ${id}: waiting for its input`)
          store.setTaskStatus(id, 'running')
          await this.#compute(opened.task, opened.inputKey)
          result = store.commit(id)
          if (!result) return
        }
        const sealed = await sealOutputOnce(this.#p, task, result.output as Hex)
        store.setCommitStatus(id, 'sent')
        const { hash } = await commitResult(clients, {
          addresses,
          taskId: id,
          receiptHash: result.receipt_hash as Hex,
          outputHash: result.output_hash as Hex,
          output: sealed ? '0x' : (result.output as Hex),
          outputURI: sealed ?? '',
          onSent: () => this.#p.onFault?.('commit-sent'),
        })
        store.setCommitStatus(id, 'confirmed', hash)
        store.setTaskStatus(id, 'committed')
        await this.ops.append('commit', id, {
          tx: hash,
          receiptHash: result.receipt_hash,
          outputURI: sealed,
        })
        this.#log(`task ${id}: committed`)
        this.#p.onFault?.('committed')
        return
      }
      case 'Committed':
      case 'ChallengePending':
      case 'Challenged': {
        if (!mine) return store.setTaskStatus(id, 'lost')
        const local = store.commit(id)
        if (local && local.status !== 'confirmed') {
          // the commit landed but we died before recording it
          store.setCommitStatus(id, 'confirmed')
          await this.ops.append('commit', id, {
            receiptHash: local.receipt_hash,
            reconciled: 'chain',
          })
        }
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
          await this.ops.append('finalize', id, { tx: hash })
        }
        if (t.state === 'Challenged') await this.#reveal(task)
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

  /** Under challenge: reveals a private task's keys to the drawn jurors. */
  async #reveal(task: PostedEvent): Promise<void> {
    const s = sealedOf(task)
    if (!s) return
    const n = await revealOnce(this.#p, task.taskId, s.d.relay)
    if (n === undefined) return
    await this.ops.append('reveal', task.taskId, { jurors: n })
    this.#log(`task ${task.taskId}: revealed to ${n} jurors`)
  }

  /** Runs the task and stores the signed result (once; restarts reuse it). */
  async #compute(task: PostedEvent, inputKey: Uint8Array): Promise<void> {
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
    if (inputKey.length)
      store.set(
        `sealed-keys:${task.taskId}`,
        encodeKeys({ input: inputKey, output: new Uint8Array(32) }),
      )
    store.saveResult(task.taskId, {
      output,
      receiptHash: hash,
      outputHash: receipt.outputHash,
    })
    store.setTaskStatus(task.taskId, 'computed')
    await this.ops.append('run', task.taskId, {
      receiptHash: hash,
      outputHash: receipt.outputHash,
      tokens: run.tokenIds.length,
    })
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
        onSent: () => this.#p.onFault?.('withdraw-sent'),
      })
      const [ev] = parseEventLogs({
        abi: taskMarketAbi,
        eventName: 'Withdrawn',
        logs: receipt.logs,
      })
      store.setClaim(id, 'withdraw', 'confirmed', {
        txHash: hash,
        amount: ev?.args.amount ?? owed,
      })
      await this.ops.append('claim', id, {
        tx: hash,
        amount: ev?.args.amount ?? owed,
      })
      this.#log(`task ${id}: claimed ${owed}`)
    } else {
      // nothing owed: an earlier withdraw (maybe before a crash) took it
      store.setClaim(id, 'withdraw', 'confirmed')
      await this.ops.append('claim', id, { reconciled: 'earlier withdraw' })
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
