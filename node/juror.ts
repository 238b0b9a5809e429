// Juror duty: when drawn for a challenge, re-verify the committed task with
// the receipts audit, commit a salted vote before the commit deadline and
// reveal it after. The salt and vote are stored before the commit is sent,
// so a restart reveals exactly what was committed.

import { randomBytes } from 'node:crypto'
import { type Address, isAddressEqual, toHex } from 'viem'
import { taskMarketAbi } from '../src/chain/abis.ts'
import { commitVote } from '../src/chain/commitVote.ts'
import type { Deployment } from '../src/chain/deployment.ts'
import type { ChainClients } from '../src/chain/getContracts.ts'
import { revealVote } from '../src/chain/revealVote.ts'
import { auditReceipt } from '../src/receipts/index.ts'
import type { ModelShelf } from './modelShelf.ts'
import { openForAudit, sealedOf } from './privateTasks.ts'
import { withRetry } from './rpc.ts'
import type { NodeStore } from './store.ts'
import {
  type ChallengedEvent,
  committedTasks,
  postedTask,
} from './taskEvents.ts'

export type JurorContext = {
  clients: ChainClients
  deployment: Pick<Deployment, 'addresses' | 'startBlock' | 'chainId'>
  store: NodeStore
  models: ModelShelf
  log: (msg: string) => void
}

/** Advances one challenge this juror was drawn into; idempotent. */
export async function serveAsJuror(
  ctx: JurorContext,
  ch: ChallengedEvent,
  now: bigint,
): Promise<void> {
  const me = ctx.clients.wallet.account.address
  if (!ch.jurors.some((j) => isAddressEqual(j, me))) return
  const { addresses } = ctx.deployment
  const ballot = await withRetry('ballotOf', () =>
    ctx.clients.public.readContract({
      address: addresses.TaskMarket,
      abi: taskMarketAbi,
      functionName: 'ballotOf',
      args: [ch.taskId, me],
    }),
  )
  const b = ballot as unknown as {
    commitment: `0x${string}`
    revealed: boolean
  }
  const task = await withRetry('taskOf', () =>
    ctx.clients.public.readContract({
      address: addresses.TaskMarket,
      abi: taskMarketAbi,
      functionName: 'taskOf',
      args: [ch.taskId],
    }),
  )
  if (task.state !== 4 /* Challenged */) return
  let vote = ctx.store.vote(ch.taskId)
  if (!vote) {
    // a private task is judged once someone reveals it to us; a juror left
    // in the dark votes innocent shortly before the commit deadline
    const guilty =
      (await judge(ctx, ch.taskId, ch.node)) ??
      (now + 30n < ch.voteCommitDeadline
        ? undefined
        : { guilty: false, reasons: ['private payload not revealed to us'] })
    if (!guilty) return
    ctx.store.saveVote(
      ch.taskId,
      guilty.guilty,
      toHex(randomBytes(32)),
      guilty.reasons,
    )
    vote = ctx.store.vote(ch.taskId)
    ctx.log(
      `juror: task ${ch.taskId} node ${guilty.guilty ? 'guilty' : 'innocent'}${guilty.reasons.length ? ` (${guilty.reasons[0]})` : ''}`,
    )
  }
  if (!vote) return
  const salt = vote.salt as `0x${string}`
  const hasCommitted = !/^0x0*$/.test(b.commitment)
  if (!hasCommitted && now < ch.voteCommitDeadline) {
    const commitment = await ctx.clients.public.readContract({
      address: addresses.TaskMarket,
      abi: taskMarketAbi,
      functionName: 'voteCommitment',
      args: [ch.taskId, me, vote.guilty === 1, salt],
    })
    await commitVote(ctx.clients, { addresses, taskId: ch.taskId, commitment })
    ctx.store.markVote(ch.taskId, 'committed')
    return
  }
  if (
    hasCommitted &&
    !b.revealed &&
    now > ch.voteCommitDeadline &&
    now <= ch.voteRevealDeadline
  ) {
    await revealVote(ctx.clients, {
      addresses,
      taskId: ch.taskId,
      nodeGuilty: vote.guilty === 1,
      salt,
    })
    ctx.store.markVote(ch.taskId, 'revealed')
  }
}

/**
 * Audits the committed task; a node we cannot check is presumed innocent.
 * Undefined: a private task not (yet) revealed to us.
 */
async function judge(ctx: JurorContext, taskId: bigint, node: Address) {
  let posted = await postedTask(ctx.clients, ctx.deployment, taskId)
  let [committed] = await committedTasks(ctx.clients, ctx.deployment, {
    taskId,
  })
  if (!posted || !committed)
    return { guilty: false, reasons: ['task events not found'] }
  if (sealedOf(posted)) {
    const opened = await openForAudit(ctx, posted, committed, 'juror')
    if (!opened) return undefined
    posted = opened.task
    committed = opened.committed
  }
  const model = await ctx.models.get(posted.modelDigest)
  if (!model) return { guilty: false, reasons: ['model not held'] }
  const verdict = await auditReceipt({
    model,
    task: posted,
    committed: { ...committed, node },
    chainId: ctx.deployment.chainId,
    market: ctx.deployment.addresses.TaskMarket,
  })
  return { guilty: verdict.guilty, reasons: verdict.reasons }
}
