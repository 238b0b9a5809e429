// The auditor: samples committed tasks, verifies each receipt at prefill
// cost (src/receipts/auditReceipt.ts), challenges failures with a bond
// inside the challenge window, resolves the challenge once the jury has
// voted, pulls its finder's fee, and serves as a juror when drawn.
import { type Address, isAddressEqual, keccak256, toHex } from 'viem'
import { taskMarketAbi } from '../src/chain/abis.ts'
import { challengeTask } from '../src/chain/challengeTask.ts'
import type { Deployment } from '../src/chain/deployment.ts'
import type { ChainClients } from '../src/chain/getContracts.ts'
import { getTask } from '../src/chain/getTask.ts'
import { resolveChallenge } from '../src/chain/resolveChallenge.ts'
import { withdraw } from '../src/chain/withdraw.ts'
import { createRelayClient } from '../src/privacy/relayClient.ts'
import { encodeKeys } from '../src/privacy/sealedTask.ts'
import { auditReceipt } from '../src/receipts/index.ts'
import { big, revive } from './daemon.ts'
import { serveAsJuror } from './juror.ts'
import type { ModelShelf } from './modelShelf.ts'
import {
  announceOn,
  openForAudit,
  revealOnce,
  sealedOf,
} from './privateTasks.ts'
import { withRetry } from './rpc.ts'
import { scanEvents } from './scanEvents.ts'
import type { NodeStore } from './store.ts'
import {
  type ChallengedEvent,
  type CommittedEvent,
  postedTask,
} from './taskEvents.ts'

export type AuditorParameters = {
  clients: ChainClients
  deployment: Pick<Deployment, 'addresses' | 'startBlock' | 'chainId'>
  store: NodeStore
  models: ModelShelf
  /** Fraction of committed tasks audited (hash-sampled, 1 = all). */
  sampleRate?: number
  pollMs?: number
  log?: (msg: string) => void
  /**
   * Payload relays to announce our encryption key on, so requesters can
   * appoint us to audit their private tasks.
   */
  relays?: string[]
}

export class Auditor {
  readonly address: Address
  #p: AuditorParameters
  #stopped = false
  #loop: Promise<void> | undefined

  constructor(p: AuditorParameters) {
    this.#p = p
    this.address = p.clients.wallet.account.address
  }

  #log(msg: string) {
    this.#p.log?.(`[auditor ${this.address.slice(0, 8)}] ${msg}`)
  }

  start(): void {
    this.#stopped = false
    this.#loop ??= (async () => {
      while (!this.#stopped) {
        try {
          await this.tick()
        } catch (e) {
          this.#log(`tick failed: ${(e as Error).message.split('\n')[0]}`)
        }
        await new Promise((r) => setTimeout(r, this.#p.pollMs ?? 300))
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

  /** Hash sampling: unpredictable to nodes before commit, stable per auditor. */
  sampled(taskId: bigint): boolean {
    const rate = this.#p.sampleRate ?? 1
    if (rate >= 1) return true
    const h = BigInt(keccak256(toHex(`${this.address}:${taskId}`)))
    return Number(h % 1_000_000n) < rate * 1_000_000
  }

  async tick(): Promise<void> {
    const { clients, deployment, store } = this.#p
    for (const url of this.#p.relays ?? [])
      await announceOn(this.#p, createRelayClient(url))
    const { head, committed, challenges } = await scanEvents({
      clients,
      deployment,
      store,
      committed: true,
    })
    for (const c of committed)
      store.set(`committed:${c.taskId}`, JSON.stringify(c, big))
    for (const c of challenges)
      if (c.jurors.some((j) => isAddressEqual(j, this.address)))
        store.set(`challenge:${c.taskId}`, JSON.stringify(c, big))
    const rows = store.db
      .prepare("select key, value from meta where key like 'committed:%'")
      .all() as { key: string; value: string }[]
    for (const row of rows) {
      if (this.#stopped) return
      const c = JSON.parse(row.value, revive) as CommittedEvent
      store.db.prepare('delete from meta where key = ?').run(row.key)
      if (
        store.audit(c.taskId) ||
        isAddressEqual(c.node, this.address) ||
        !this.sampled(c.taskId)
      )
        continue
      await this.#audit(c, head.timestamp)
    }
    for (const a of store.openAudits())
      await this.#follow(BigInt(a.task_id), a.challenged === 1, head.timestamp)
    const jury = store.db
      .prepare("select key, value from meta where key like 'challenge:%'")
      .all() as { key: string; value: string }[]
    for (const row of jury) {
      const ch = JSON.parse(row.value, revive) as ChallengedEvent
      if (head.timestamp > ch.voteRevealDeadline)
        store.db.prepare('delete from meta where key = ?').run(row.key)
      else
        await serveAsJuror(
          { ...this.#p, log: (m) => this.#log(m) },
          ch,
          head.timestamp,
        )
    }
  }

  async #audit(c: CommittedEvent, now: bigint): Promise<void> {
    const { clients, deployment, store, models } = this.#p
    const posted = await withRetry('TaskPosted', () =>
      postedTask(clients, deployment, c.taskId),
    )
    const model = posted && (await models.get(posted.modelDigest))
    if (!posted || !model) return
    let task = posted
    let committed: CommittedEvent = c
    if (sealedOf(posted)) {
      // a private task: we audit it only with the requester's grant
      const opened = await openForAudit(this.#p, posted, c, 'auditor')
      if (!opened) return this.#log(`task ${c.taskId}: private, no grant`)
      store.set(`sealed-keys:${c.taskId}`, encodeKeys(opened.keys))
      store.set(`sealed-relay:${c.taskId}`, sealedOf(posted)?.d.relay ?? '')
      task = opened.task
      committed = opened.committed
    }
    const verdict = await auditReceipt({
      model,
      task,
      committed,
      chainId: deployment.chainId,
      market: deployment.addresses.TaskMarket,
    })
    store.saveAudit(c.taskId, verdict.guilty, verdict.reasons)
    this.#log(
      `task ${c.taskId}: ${verdict.guilty ? `FAILED (${verdict.reasons.join('; ')})` : 'ok'}`,
    )
    if (verdict.guilty) await this.#follow(c.taskId, false, now)
  }

  /** Reveals a private task we challenged to its drawn jurors. */
  async #reveal(taskId: bigint): Promise<void> {
    const relay = this.#p.store.get(`sealed-relay:${taskId}`)
    if (!relay) return
    const n = await revealOnce(this.#p, taskId, relay)
    if (n !== undefined) this.#log(`task ${taskId}: revealed to ${n} jurors`)
  }

  /** Challenge a failed task, then resolve it once the jury is done. */
  async #follow(
    taskId: bigint,
    challenged: boolean,
    now: bigint,
  ): Promise<void> {
    const { clients, deployment, store } = this.#p
    const { addresses } = deployment
    const t = await withRetry('getTask', () =>
      getTask(clients, { addresses, taskId }),
    )
    if (!challenged && t.state === 'Committed' && now <= t.deadline) {
      const reasons = store.audit(taskId)?.reasons ?? '[]'
      await challengeTask(clients, {
        addresses,
        taskId,
        evidenceHash: keccak256(toHex(reasons)),
      })
      store.markAudit(taskId, 'challenged')
      this.#log(`task ${taskId}: challenged`)
      return
    }
    if (t.state === 'Challenged') {
      await this.#reveal(taskId)
      const c = await clients.public.readContract({
        address: addresses.TaskMarket,
        abi: taskMarketAbi,
        functionName: 'challengeOf',
        args: [taskId],
      })
      if (now > BigInt(c.revealDeadline) || c.reveals >= c.jurySize) {
        await resolveChallenge(clients, { addresses, taskId })
        this.#log(`task ${taskId}: challenge resolved`)
      }
      return
    }
    if (t.state === 'Committed') return
    store.markAudit(taskId, 'resolved')
    const owed = await clients.public.readContract({
      address: addresses.TaskMarket,
      abi: taskMarketAbi,
      functionName: 'owedOf',
      args: [this.address],
    })
    if (owed > 0n) await withdraw(clients, { addresses })
  }
}
