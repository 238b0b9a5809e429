// End to end on a local Hardhat node with SmolLM2: honest node paid and
// reputation up; three cheaters (model swap, truncation, wrong seed) caught
// by the auditor, convicted by the jury and slashed; an honest node never
// flagged over 20 tasks; a daemon killed mid-task and after sending its
// commit / finalize completes the task once and is paid once.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Address, erc20Abi, type Hex, parseEther } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Auditor } from '../../node/auditor.ts'
import { NodeDaemon } from '../../node/daemon.ts'
import {
  type Execution,
  type Executor,
  executeTask,
} from '../../node/executeTask.ts'
import { ModelShelf } from '../../node/modelShelf.ts'
import {
  assignBid,
  getTaskResult,
  postInferenceTask,
  waitForTask,
} from '../../node/requester.ts'
import { NodeStore } from '../../node/store.ts'
import { stakingAbi, taskMarketAbi } from '../../src/chain/abis.ts'
import { loadModel } from '../../src/engine/loadModel.ts'
import type { Model } from '../../src/engine/model.ts'
import {
  decodeSampling,
  encodeSampling,
  modelDigestOfPath,
} from '../../src/receipts/index.ts'
import { smollm2Path } from '../helpers/models.ts'
import { writeTinySmolVocabCheckpoint } from '../helpers/tinySmolVocabCheckpoint.ts'
import { startLocalChain } from './localChain.ts'

const dir = mkdtempSync(join(tmpdir(), 'pocket-e2e-'))
const log = process.env.POCKET_E2E_LOG
  ? (m: string) => console.log(m)
  : () => {}
let chain: Awaited<ReturnType<typeof startLocalChain>>
let smol: Model
let tiny: Model
let digest: Hex
const shelf = new ModelShelf()
const running: { stop(): Promise<void> }[] = []
const stores: NodeStore[] = []

const swapModel: Executor = (_model, task) => executeTask(tiny, task)
const truncate: Executor = (model, task) => {
  const s = decodeSampling(task.samplingParams)
  return executeTask(model, {
    ...task,
    samplingParams: encodeSampling({
      ...s,
      maxTokens: Math.floor(s.maxTokens / 2),
    }),
  })
}
const otherSeed: Executor = (model, task) =>
  executeTask(model, { ...task, seed: task.seed + 1n })

function daemon(
  i: number,
  opts: Partial<ConstructorParameters<typeof NodeDaemon>[0]> = {},
  db = join(dir, `node${i}.db`),
) {
  const store = new NodeStore(db)
  stores.push(store)
  const d = new NodeDaemon({
    clients: chain.clients(i),
    deployment: chain.deployment,
    store,
    models: shelf,
    policy: { priceFloor: parseEther('1'), maxQueue: 100 },
    power: () => ({}),
    pollMs: 200,
    log,
    ...opts,
  })
  d.start()
  running.push(d)
  return { d, store }
}

async function post(
  label: string,
  sampling: { temperature: number; maxTokens: number },
  node: Address,
) {
  const requester = chain.clients(1)
  const { taskId } = await postInferenceTask(requester, chain.deployment, {
    modelDigest: digest,
    input: { messages: [{ role: 'user', content: label }] },
    sampling,
    maxPrice: parseEther('2'),
    bidWindow: 3000,
    execWindow: 3000,
  })
  await assignBid(requester, chain.deployment, {
    taskId,
    node,
    timeoutMs: 60_000,
  })
  return taskId
}

const read = <T>(
  functionName: string,
  args: unknown[],
  abi: unknown = taskMarketAbi,
  address?: Address,
) =>
  chain.clients(0).public.readContract({
    address: address ?? chain.deployment.addresses.TaskMarket,
    abi,
    functionName,
    args,
  } as never) as Promise<T>

async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 120_000,
) {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

beforeAll(async () => {
  chain = await startLocalChain(join(dir, 'deployment.json'), [2, 3, 4, 5, 6])
  smol = await loadModel(smollm2Path())
  writeTinySmolVocabCheckpoint(join(dir, 'tiny'), smol)
  tiny = await loadModel(join(dir, 'tiny'))
  digest = (await modelDigestOfPath(smollm2Path())).digest
  shelf.put(digest, smol)
}, 240_000)

afterAll(async () => {
  for (const r of running) await r.stop()
  for (const s of stores) s.close()
  await tiny?.dispose()
  await smol?.dispose()
  await chain?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('marketplace end to end', () => {
  it('catches and slashes a model-swap, a truncating and a wrong-seed node', async () => {
    const nodes = { swap: 3, truncate: 4, seed: 5 } as const
    daemon(2)
    daemon(nodes.swap, { executor: swapModel })
    daemon(nodes.truncate, { executor: truncate })
    daemon(nodes.seed, { executor: otherSeed })
    const auditorStore = new NodeStore(join(dir, 'auditor.db'))
    stores.push(auditorStore)
    const auditor = new Auditor({
      clients: chain.clients(6),
      deployment: chain.deployment,
      store: auditorStore,
      models: shelf,
      pollMs: 200,
      log,
    })
    auditor.start()
    running.push(auditor)

    const tasks = {
      swap: await post(
        'Name three colors.',
        { temperature: 0, maxTokens: 16 },
        chain.account(nodes.swap).address,
      ),
      truncate: await post(
        'Tell me a long story about a dragon.',
        { temperature: 0, maxTokens: 24 },
        chain.account(nodes.truncate).address,
      ),
      seed: await post(
        'Write a poem about rain.',
        { temperature: 0.8, maxTokens: 16 },
        chain.account(nodes.seed).address,
      ),
    }
    for (const taskId of Object.values(tasks))
      await waitForTask(chain.clients(1), chain.deployment, {
        taskId,
        states: ['Challenged'],
        timeoutMs: 180_000,
      })
    // every receipt is well-formed and signed: only re-execution exposes them
    for (const taskId of Object.values(tasks))
      expect(
        (await getTaskResult(chain.clients(1), chain.deployment, taskId))
          .receiptValid,
      ).toBe(true)
    for (const [kind, taskId] of Object.entries(tasks)) {
      const audit = auditorStore.audit(taskId)
      expect(audit?.guilty, kind).toBe(1)
      log(`${kind}: ${audit?.reasons}`)
    }
    expect(
      JSON.parse(auditorStore.audit(tasks.truncate)?.reasons ?? '[]').join(),
    ).toMatch(/truncated/)
    const votes = async (taskId: bigint) =>
      (
        await chain.clients(0).public.getContractEvents({
          address: chain.deployment.addresses.TaskMarket,
          abi: taskMarketAbi,
          eventName: 'VoteCommitted',
          args: { taskId },
          fromBlock: 0n,
        })
      ).length
    for (const taskId of Object.values(tasks))
      await until('votes', async () => (await votes(taskId)) === 3)
    await chain.increaseTime(301)
    for (const taskId of Object.values(tasks))
      await waitForTask(chain.clients(1), chain.deployment, {
        taskId,
        states: ['Slashed', 'Finalized'],
        timeoutMs: 120_000,
      })
    for (const [kind, i] of Object.entries(nodes)) {
      expect(
        (
          await getTaskResult(
            chain.clients(1),
            chain.deployment,
            tasks[kind as keyof typeof tasks],
          )
        ).state,
        kind,
      ).toBe('Slashed')
      expect(
        await read<bigint>(
          'stakedOf',
          [chain.account(i).address],
          stakingAbi,
          chain.deployment.addresses.Staking,
        ),
        kind,
      ).toBe(parseEther('500'))
      const [, , slashed] = await read<
        readonly [number, number, number, bigint]
      >('reputationOf', [chain.account(i).address])
      expect(slashed, kind).toBe(1)
    }
  }, 400_000)

  it('never flags an honest node over 20 tasks, pays it and raises its reputation', async () => {
    const honest = chain.account(2).address
    const auditorStore = stores[4] as NodeStore
    const [before] = await read<readonly [number, number, number, bigint]>(
      'reputationOf',
      [honest],
    )
    const ids: bigint[] = []
    for (let i = 0; i < 20; i++)
      ids.push(
        await post(
          `Give me fact number ${i} about space.`,
          { temperature: i % 2 ? 0.7 : 0, maxTokens: 12 },
          honest,
        ),
      )
    for (const taskId of ids)
      await waitForTask(chain.clients(1), chain.deployment, {
        taskId,
        states: ['Committed'],
        timeoutMs: 240_000,
      })
    await until(
      'audits',
      async () => ids.every((id) => auditorStore.audit(id) !== undefined),
      240_000,
    )
    const flagged = ids.filter((id) => auditorStore.audit(id)?.guilty === 1)
    expect(flagged.map((id) => auditorStore.audit(id)?.reasons)).toEqual([])
    await chain.increaseTime(601)
    for (const taskId of ids)
      await waitForTask(chain.clients(1), chain.deployment, {
        taskId,
        states: ['Finalized'],
        timeoutMs: 120_000,
      })
    const honestStore = stores[0] as NodeStore
    await until('claims', async () =>
      ids.every((id) => honestStore.task(id)?.status === 'claimed'),
    )
    const [after, , , earned] = await read<
      readonly [number, number, number, bigint]
    >('reputationOf', [honest])
    expect(after - before).toBe(20)
    expect(earned).toBeGreaterThanOrEqual(parseEther('20'))
    expect(await read<bigint>('owedOf', [honest])).toBe(0n)
    const r = await getTaskResult(
      chain.clients(1),
      chain.deployment,
      ids[0] as bigint,
    )
    expect(r.receiptValid).toBe(true)
    expect(r.text?.length).toBeGreaterThan(0)
  }, 600_000)

  it('completes a task once and claims once across crashes mid-task, after commit and after finalize', async () => {
    const honest = chain.account(2).address
    const first = running[0] as NodeDaemon
    await first.stop()
    const db = join(dir, 'crash.db')
    const events = async (
      eventName: 'TaskCommitted' | 'TaskFinalized' | 'Withdrawn',
      args: object,
    ) =>
      (
        await chain.clients(0).public.getContractEvents({
          address: chain.deployment.addresses.TaskMarket,
          abi: taskMarketAbi,
          eventName,
          args,
          fromBlock: 0n,
        } as never)
      ).length
    // 1) killed mid-generation: the executor dies before any result is stored
    let release: (e: Error) => void = () => {}
    const dying: Executor = () =>
      new Promise<Execution>((_, reject) => {
        release = reject
      })
    const a = daemon(2, { executor: dying }, db)
    const taskId = await post(
      'Count to five.',
      { temperature: 0, maxTokens: 12 },
      honest,
    )
    await until(
      'running',
      async () => a.store.task(taskId)?.status === 'running',
    )
    release(new Error('killed'))
    await a.d.stop()
    // 2) restarted, then "killed" right after the commit tx is sent
    const crash = (point: string) => (p: string) => {
      if (p === point) throw new Error(`crash at ${p}`)
    }
    const b = daemon(2, { onFault: crash('commit-sent') }, db)
    await until(
      'commit sent',
      async () =>
        b.store.commit(taskId)?.status === 'sent' &&
        (await events('TaskCommitted', { taskId })) === 1,
    )
    await b.d.stop()
    const withdrawsBefore = await events('Withdrawn', { account: honest })
    const paidBefore = await chain.clients(0).public.readContract({
      address: chain.deployment.addresses.PocketToken,
      abi: erc20Abi,
      functionName: 'balanceOf',
      args: [honest],
    })
    await chain.increaseTime(601)
    // 3) restarted: reconciles the commit, finalizes (which pays the node),
    // crashes right after the finalize tx
    const c = daemon(2, { onFault: crash('finalize-sent') }, db)
    await until(
      'finalize sent',
      async () => (await events('TaskFinalized', { taskId })) === 1,
    )
    await c.d.stop()
    // 4) restarted: sees the task settled and nothing owed, records the
    // claim, never finalizes or withdraws again
    const d = daemon(2, {}, db)
    await until(
      'claimed',
      async () => d.store.task(taskId)?.status === 'claimed',
    )
    expect(await events('TaskCommitted', { taskId })).toBe(1)
    expect(await events('TaskFinalized', { taskId })).toBe(1)
    expect(await events('Withdrawn', { account: honest })).toBe(withdrawsBefore)
    const [finalized] = await chain.clients(0).public.getContractEvents({
      address: chain.deployment.addresses.TaskMarket,
      abi: taskMarketAbi,
      eventName: 'TaskFinalized',
      args: { taskId },
      fromBlock: 0n,
    })
    expect(
      await chain.clients(0).public.readContract({
        address: chain.deployment.addresses.PocketToken,
        abi: erc20Abi,
        functionName: 'balanceOf',
        args: [honest],
      }),
    ).toBe(paidBefore + (finalized?.args.payment ?? 0n))
    expect(d.store.commit(taskId)?.status).toBe('confirmed')
    expect(
      (await getTaskResult(chain.clients(1), chain.deployment, taskId)).state,
    ).toBe('Finalized')
    expect(await read<bigint>('owedOf', [honest])).toBe(0n)
  }, 300_000)
})
