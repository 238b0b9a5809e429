// The requester's side of the demo: post the prompts, let the scheduler
// assign each to the best bid from the indexer's view, fetch every result
// and verify its receipt (hashes + node signature, then a full re-check at
// prefill cost with auditReceipt), wait for the auditor's verdicts, move the
// local chain's clock past the challenge window, and follow each task to
// Finalized and the node's claim. Returns one outcome per task.
import { type Address, formatEther, type Hex } from 'viem'
import { getTaskResult, postInferenceTask } from '../../node/requester.ts'
import { committedTasks, postedTask } from '../../node/taskEvents.ts'
import { taskMarketAbi } from '../chain/abis.ts'
import { getTask, type TaskState } from '../chain/getTask.ts'
import { withdraw } from '../chain/withdraw.ts'
import type { Model } from '../engine/model.ts'
import { auditReceipt } from '../receipts/index.ts'
import { assignBestBid } from '../scheduler/assignBestBid.ts'
import type { DemoPrompt } from './demoPrompts.ts'
import type { LocalChain } from './startLocalChain.ts'
import { type Participants, roles } from './startParticipants.ts'
import { throwIfAborted, waitUntil } from './waitUntil.ts'

export type RunDemoTasksParameters = {
  chain: LocalChain
  participants: Participants
  indexerUrl: string
  /** The requester's copy of the model, for its own receipt check. */
  model: Model
  modelDigest: Hex
  prompts: DemoPrompt[]
  maxTokens: number
  maxPrice: bigint
  signal?: AbortSignal
  onStep?: (line: string) => void
}

export type TaskOutcome = {
  n: number
  taskId: bigint
  prompt: string
  temperature: number
  state: TaskState
  node?: Address
  answer?: string
  receiptHash?: Hex
  /** Receipt hash + signature valid and the requester's re-check passed. */
  verified: boolean
  reasons: string[]
  /** The auditor's verdict: 'ok', or its reasons. */
  auditor: string
  payment: bigint
  refund: bigint
}

const WAIT_MS = 180_000

export async function runDemoTasks(
  p: RunDemoTasksParameters,
): Promise<TaskOutcome[]> {
  const { chain, participants, signal } = p
  const { deployment } = chain
  const { addresses } = deployment
  const requester = chain.clients(roles.requester)
  const step = p.onStep ?? (() => {})
  const wait = { timeoutMs: WAIT_MS, signal }
  const stateOf = async (taskId: bigint) =>
    (await getTask(requester, { addresses, taskId })).state

  const posted: { taskId: bigint; prompt: DemoPrompt }[] = []
  for (const [i, prompt] of p.prompts.entries()) {
    throwIfAborted(signal)
    const { taskId } = await postInferenceTask(requester, deployment, {
      modelDigest: p.modelDigest,
      input: { messages: [{ role: 'user', content: prompt.prompt }] },
      sampling: { temperature: prompt.temperature, maxTokens: p.maxTokens },
      maxPrice: p.maxPrice,
    })
    posted.push({ taskId, prompt })
    step(`task ${i + 1} posted: "${prompt.prompt}"`)
  }
  for (const [i, { taskId }] of posted.entries()) {
    throwIfAborted(signal)
    const { bid, score, ranked } = await assignBestBid(requester, {
      addresses,
      indexer: p.indexerUrl,
      taskId,
      timeoutMs: 60_000,
    })
    step(
      `task ${i + 1} assigned by the scheduler (indexer view) to ` +
        `${short(bid.node)} at ${formatEther(bid.price)} POCKET: bid score ` +
        `${score.toFixed(3)}, reputation ${bid.reputation.score.toFixed(3)}, ` +
        `${ranked.length} bid(s)`,
    )
  }

  const outcomes: TaskOutcome[] = []
  for (const [i, { taskId, prompt }] of posted.entries()) {
    await waitUntil(
      async () => (await stateOf(taskId)) !== 'Assigned' || undefined,
      { ...wait, what: `task ${i + 1} to be committed` },
    )
    const result = await getTaskResult(requester, deployment, taskId)
    const reasons = result.receiptValid
      ? []
      : ['receipt hash or node signature does not match']
    const task = await postedTask(requester, deployment, taskId)
    const [committed] = await committedTasks(requester, deployment, { taskId })
    if (task && committed) {
      const verdict = await auditReceipt({
        model: p.model,
        task,
        committed,
        chainId: deployment.chainId,
        market: addresses.TaskMarket,
      })
      reasons.push(...verdict.reasons)
    } else reasons.push('no committed result')
    step(
      `task ${i + 1} committed by ${short(result.node)}; receipt ` +
        (reasons.length ? 'FAILED' : 'verified'),
    )
    outcomes.push({
      n: i + 1,
      taskId,
      prompt: prompt.prompt,
      temperature: prompt.temperature,
      state: result.state,
      node: result.node,
      answer: result.text,
      receiptHash: result.receiptHash,
      verified: reasons.length === 0,
      reasons,
      auditor: '',
      payment: 0n,
      refund: 0n,
    })
  }

  const { auditorStore, nodeStore } = participants
  for (const o of outcomes) {
    const audit = await waitUntil(async () => auditorStore.audit(o.taskId), {
      ...wait,
      what: `the auditor's verdict on task ${o.n}`,
    })
    o.auditor = audit.guilty ? JSON.parse(audit.reasons).join('; ') : 'ok'
  }
  step(`auditor re-checked ${outcomes.length} receipt(s)`)

  const window = Number(deployment.parameters.challengeWindow ?? 600)
  throwIfAborted(signal)
  await chain.increaseTime(window + 1)
  step(
    `local chain: advanced time ${window + 1} s past the challenge window ` +
      '(evm_increaseTime + evm_mine)',
  )
  for (const o of outcomes) {
    o.state = await waitUntil(
      async () => {
        const s = await stateOf(o.taskId)
        return ['Finalized', 'Slashed', 'Cancelled', 'TimedOut'].includes(s)
          ? s
          : undefined
      },
      { ...wait, what: `task ${o.n} to be settled` },
    )
    if (o.state !== 'Finalized') continue
    const [ev] = await requester.public.getContractEvents({
      address: addresses.TaskMarket,
      abi: taskMarketAbi,
      eventName: 'TaskFinalized',
      args: { taskId: o.taskId },
      fromBlock: BigInt(deployment.startBlock),
    })
    o.payment = BigInt(ev?.args.payment ?? 0n)
    o.refund = BigInt(ev?.args.refund ?? 0n)
    await waitUntil(
      async () => nodeStore.task(o.taskId)?.status === 'claimed',
      { ...wait, what: `the node to record task ${o.n}'s payment` },
    )
  }
  step('tasks finalized; node paid at settlement')
  const owed = await requester.public.readContract({
    address: addresses.TaskMarket,
    abi: taskMarketAbi,
    functionName: 'owedOf',
    args: [chain.account(roles.requester).address],
  })
  if (owed > 0n) await withdraw(requester, { addresses })
  return outcomes
}

export const short = (a?: string) =>
  a ? `${a.slice(0, 6)}…${a.slice(-4)}` : '?'
