// Indexer end to end, shared by indexer.test.ts (PGlite in a temp dir) and
// indexerPostgres.test.ts (a real PostgreSQL server started in a temp dir):
// a real `hardhat node` + deployment, Ponder started by startIndexer(), the
// lifecycle driven with viem and checked through the scheduler API, a reorg
// rolled back, then a restart that resumes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { keccak256, parseEther, toHex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assignTask } from '../../src/chain/assignTask.ts'
import { cancelTask } from '../../src/chain/cancelTask.ts'
import { challengeTask } from '../../src/chain/challengeTask.ts'
import { commitResult } from '../../src/chain/commitResult.ts'
import { commitVote } from '../../src/chain/commitVote.ts'
import { finalizeTask } from '../../src/chain/finalizeTask.ts'
import {
  type ChainClients,
  getContracts,
} from '../../src/chain/getContracts.ts'
import { placeBid } from '../../src/chain/placeBid.ts'
import { postTask } from '../../src/chain/postTask.ts'
import { resolveChallenge } from '../../src/chain/resolveChallenge.ts'
import { revealVote } from '../../src/chain/revealVote.ts'
import { stake } from '../../src/chain/stake.ts'
import { timeoutTask } from '../../src/chain/timeoutTask.ts'
import { type Indexer, startIndexer } from '../../src/indexer/startIndexer.ts'
import {
  createIndexerClient,
  type IndexerClient,
} from '../../src/scheduler/createIndexerClient.ts'
import {
  completedEvents,
  freePort,
  type LocalChain,
  startLocalChain,
  waitFor,
} from './indexerHarness.ts'
import { type Postgres, startPostgres } from './postgres.ts'

let dir: string
let chain: LocalChain
let indexer: Indexer
let api: IndexerClient
let port: number
let postgres: Postgres | undefined
let database: { dataDir?: string; databaseUrl?: string }
let requester: ChainClients
let nodes: ChainClients[]
const model = keccak256(toHex('model:indexer-test'))
const other = keccak256(toHex('model:other'))
const lower = (a: string) => a.toLowerCase()

async function post(label: string, modelDigest = model) {
  return postTask(requester, {
    addresses: chain.addresses,
    modelDigest,
    inputHash: keccak256(toHex(`input:${label}`)),
    input: `Say hello (${label})`,
    samplingParams: '{"temperature":0}',
    seed: 7n,
    maxPrice: parseEther('10'),
    bidDeadline: (await chain.now()) + 600n,
    execWindow: 300,
  })
}

/**
 * Waits until the indexer has processed the chain's latest block. Ponder moves
 * its latest checkpoint at the end of each block's transaction; on PGlite the
 * API shares the writer's session and could otherwise see a block half done.
 */
async function synced() {
  const height = await chain.publicClient.getBlockNumber({ cacheTime: 0 })
  await waitFor(async () => (await api.head()).latestBlock >= height, {
    what: `indexer at block ${height}`,
  })
}

/** The task as the indexer shows it once synced; asserts its state. */
async function taskIn(taskId: bigint, state: string) {
  await synced()
  const view = await api.task(taskId)
  expect(view?.task.state).toBe(state)
  return view
}

/**
 * Mines until Ponder calls the current head final. On 31337 Ponder assumes a
 * finality depth of 30 blocks and moves its finalized block (to head - 30)
 * only once the head is 60 blocks past the previous finalized block.
 */
async function finalizeChainHead() {
  const target = await chain.publicClient.getBlockNumber({ cacheTime: 0 })
  for (let mined = 0; mined < 200; mined += 10) {
    await chain.mine(10)
    const height = await chain.publicClient.getBlockNumber({ cacheTime: 0 })
    const h = await waitFor(
      async () => {
        const head = await api.head()
        return head.latestBlock >= height ? head : undefined
      },
      { what: `indexer at block ${height}` },
    )
    if (h.finalizedBlock >= target) return
  }
  throw new Error(`block ${target} not finalized after 200 blocks`)
}

export function indexerSuite(backend: 'pglite' | 'postgres') {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pocket-indexer-'))
    chain = await startLocalChain(dir)
    requester = chain.clients(1)
    nodes = [2, 3, 4, 5, 6, 7].map((i) => chain.clients(i))
    for (const n of nodes) {
      await stake(n, { addresses: chain.addresses, amount: parseEther('1000') })
    }
    port = await freePort()
    if (backend === 'postgres') {
      postgres = await startPostgres()
      database = { databaseUrl: postgres.url }
    } else database = { dataDir: join(dir, 'pglite') }
    indexer = await startIndexer({
      deployment: chain.file,
      port,
      ...database,
      pollingInterval: 200,
      logLevel: process.env.POCKET_INDEXER_DEBUG ? 'debug' : 'info',
    })
    api = createIndexerClient(indexer.url)
  })

  afterAll(async () => {
    if (process.env.POCKET_INDEXER_LOG && indexer) {
      writeFileSync(process.env.POCKET_INDEXER_LOG, indexer.logs().join('\n'))
    }
    await indexer?.stop()
    await postgres?.stop()
    await chain?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  describe(`indexer (Ponder on ${backend}, local hardhat node)`, () => {
    it('indexes stakes into node profiles', async () => {
      const connected = indexer
        .logs()
        .find((l) => l.includes('Connected to database'))
      expect(connected).toContain(backend)
      await synced()
      const { nodes: profiles } = await api.nodes({ finality: 'latest' })
      expect(profiles).toHaveLength(nodes.length)
      for (const p of profiles) {
        expect(p.staked).toBe(parseEther('1000').toString())
        expect(p.active).toBe(true)
        expect(p.reputation.tasks).toBe(0)
        expect(p.reputation.successRate).toBe(null)
      }
      // no history: everyone gets the prior's score
      expect(
        new Set(
          profiles.map(
            (p: { reputation: { score: number } }) => p.reputation.score,
          ),
        ).size,
      ).toBe(1)
    })

    it('follows post -> bids -> assign -> commit -> finalize (pays)', async () => {
      const { addresses } = chain
      const [a, b] = nodes
      const { taskId } = await post('happy')
      await post('other-model', other)

      // open tasks by model
      await synced()
      const open = (await api.openTasks({ model })).tasks.find(
        (t: { id: string }) => t.id === String(taskId),
      )
      expect(open.requester).toBe(lower(requester.wallet.account.address))
      expect(open.maxPrice).toBe(parseEther('10').toString())
      expect(open.input).toBe(toHex('Say hello (happy)'))
      const others = await api.openTasks({ model: other })
      expect(others.tasks.map((t: { id: string }) => t.id)).not.toContain(
        String(taskId),
      )

      const bidA = await placeBid(a, {
        addresses,
        taskId,
        price: parseEther('8'),
      })
      await placeBid(b, { addresses, taskId, price: parseEther('6') })
      await synced()
      const bids = await api.bids(taskId)
      if (!bids) throw new Error('task not indexed')
      // equal (zero) reputation: the cheaper bid ranks first
      expect(bids.bids.map((x) => x.price)).toEqual([
        parseEther('6'),
        parseEther('8'),
      ])
      expect(bids.bids[0]?.node).toBe(lower(b.wallet.account.address))
      expect(bids.bids[0]?.score).toBeGreaterThan(bids.bids[1]?.score ?? 0)

      await assignTask(requester, {
        addresses,
        taskId,
        bidIndex: bidA.bidIndex,
      })
      let view = await taskIn(taskId, 'Assigned')
      expect(view.task.node).toBe(lower(a.wallet.account.address))
      expect(view.bids.map((x: { status: string }) => x.status)).toEqual([
        'won',
        'released',
      ])
      // locks: a keeps its bid locked, b's lock is released
      const profileA = await api.node(a.wallet.account.address, {
        finality: 'latest',
      })
      expect(profileA.node.locked).toBe(parseEther('8').toString())

      const receiptHash = keccak256(toHex('receipt:happy'))
      await commitResult(a, {
        addresses,
        taskId,
        receiptHash,
        outputHash: keccak256(toHex('output:happy')),
        output: toHex('Hello!'),
        outputURI: '',
      })
      view = await taskIn(taskId, 'Committed')
      expect(view.receipt.receiptHash).toBe(receiptHash)
      expect(view.receipt.output).toBe(toHex('Hello!'))

      await chain.increaseTime(601)
      await finalizeTask(requester, { addresses, taskId })
      view = await taskIn(taskId, 'Finalized')
      expect(view.task.payment).toBe(parseEther('8').toString())
      expect(view.task.refund).toBe(parseEther('2').toString())

      // payouts: visible at once with finality=latest, finalized only later
      const latest = await api.nodePayouts(a.wallet.account.address, {
        finality: 'latest',
      })
      expect(latest.credited).toBe(parseEther('8').toString())
      expect(latest.kinds.task_payment.count).toBe(1)
      const before = await api.nodePayouts(a.wallet.account.address)
      expect(before.credited).toBe('0')
      const repBefore = await api.node(a.wallet.account.address)
      expect(repBefore.node.reputation.tasks).toBe(0)

      // finalizeTask paid it: credited and paid (withdrawn) in the same call
      await finalizeChainHead()
      const after = await api.nodePayouts(a.wallet.account.address)
      expect(after.credited).toBe(parseEther('8').toString())
      expect(after.withdrawn).toBe(parseEther('8').toString())
      const refunds = await api.payouts({
        account: requester.wallet.account.address,
      })
      expect(refunds.payouts[0].kinds.refund.amount).toBe(
        parseEther('2').toString(),
      )

      const profile = await api.node(a.wallet.account.address)
      expect(profile.node.counters.completed).toBe(1)
      expect(profile.node.counters.earned).toBe(parseEther('8').toString())
      expect(profile.node.reputation.tasks).toBe(1)
      expect(profile.node.reputation.successRate).toBe(1)
      expect(profile.node.reputation.score).toBeGreaterThan(
        repBefore.node.reputation.score,
      )
      expect(profile.node.locked).toBe('0')
    })

    it('records timeouts, cancellations and a slashing challenge', async () => {
      const { addresses } = chain
      const [, , c, auditor] = nodes
      // timeout: refund + the bid lock slashed to the requester
      const late = await post('late')
      const bid = await placeBid(c, {
        addresses,
        taskId: late.taskId,
        price: parseEther('5'),
      })
      await assignTask(requester, {
        addresses,
        taskId: late.taskId,
        bidIndex: bid.bidIndex,
      })
      await chain.increaseTime(301)
      await timeoutTask(requester, { addresses, taskId: late.taskId })
      await taskIn(late.taskId, 'TimedOut')

      // cancel: all bids released
      const gone = await post('cancel')
      await placeBid(c, {
        addresses,
        taskId: gone.taskId,
        price: parseEther('1'),
      })
      await cancelTask(requester, { addresses, taskId: gone.taskId })
      const cancelled = await taskIn(gone.taskId, 'Cancelled')
      expect(cancelled.bids[0].status).toBe('released')

      // challenge: c cheats, the jury finds it guilty
      const cheat = await post('cheat')
      const cb = await placeBid(c, {
        addresses,
        taskId: cheat.taskId,
        price: parseEther('4'),
      })
      await assignTask(requester, {
        addresses,
        taskId: cheat.taskId,
        bidIndex: cb.bidIndex,
      })
      await commitResult(c, {
        addresses,
        taskId: cheat.taskId,
        receiptHash: keccak256(toHex('receipt:cheat')),
        outputHash: keccak256(toHex('output:cheat')),
        output: toHex('lies'),
        outputURI: '',
      })
      const { jurors: drawn, voteCommitDeadline } = await challengeTask(
        auditor,
        {
          addresses,
          taskId: cheat.taskId,
          evidenceHash: keccak256(toHex('evidence')),
        },
      )
      const byAddress = new Map(
        [...nodes].map((n) => [lower(n.wallet.account.address), n]),
      )
      const salt = keccak256(toHex('salt'))
      const { market } = getContracts({
        deployment: { addresses },
        clients: requester,
      })
      for (const juror of drawn) {
        const commitment = await market.read.voteCommitment([
          cheat.taskId,
          juror,
          true,
          salt,
        ])
        const jc = byAddress.get(lower(juror))
        if (!jc) throw new Error(`unknown juror ${juror}`)
        await commitVote(jc, { addresses, taskId: cheat.taskId, commitment })
      }
      const challenged = await taskIn(cheat.taskId, 'Challenged')
      expect(challenged.challenge.jurors).toHaveLength(drawn.length)
      await chain.increaseTime(
        Number(voteCommitDeadline - (await chain.now())) + 1,
      )
      for (const juror of drawn) {
        const jc = byAddress.get(lower(juror))
        if (!jc) throw new Error(`unknown juror ${juror}`)
        await revealVote(jc, {
          addresses,
          taskId: cheat.taskId,
          nodeGuilty: true,
          salt,
        })
      }
      await resolveChallenge(requester, { addresses, taskId: cheat.taskId })
      const slashed = await taskIn(cheat.taskId, 'Slashed')
      expect(slashed.challenge.verdict).toBe('NodeSlashed')
      expect(slashed.challenge.guiltyVotes).toBe(drawn.length)
      expect(
        slashed.challenge.votes.every(
          (v: { revealed: boolean; nodeGuilty: boolean }) =>
            v.revealed && v.nodeGuilty,
        ),
      ).toBe(true)

      const profile = await api.node(c.wallet.account.address, {
        finality: 'latest',
      })
      expect(profile.node.counters.timedOut).toBe(1)
      expect(profile.node.counters.slashed).toBe(1)
      expect(profile.node.reputation.failures).toBeGreaterThan(0)
      expect(profile.node.reputation.successRate).toBe(0)
      const fresh = await api.node(nodes[5]?.wallet.account.address ?? '0x', {
        finality: 'latest',
      })
      expect(profile.node.reputation.score).toBeLessThan(
        fresh.node.reputation.score,
      )
      // 50% of (1000 - 5 slashed at timeout) staked, bonded first
      expect(BigInt(profile.node.staked)).toBeLessThan(parseEther('500'))
      const fee = await api.nodePayouts(auditor.wallet.account.address, {
        finality: 'latest',
      })
      expect(BigInt(fee.kinds.challenge_fee.amount)).toBeGreaterThan(
        parseEther('50'),
      )
    })

    it('rolls back a task whose block was reorged away', async () => {
      const snapshot = await chain.snapshot()
      const { taskId } = await post('reorged')
      await taskIn(taskId, 'Posted')
      const before = await api.head()
      // replace the block with a longer, different chain
      await chain.revert(snapshot)
      await chain.mine(3)
      await waitFor(async () => (await api.task(taskId)) === null, {
        what: 'reorged task to disappear',
      })
      await synced()
      expect((await api.head()).latestBlock).toBeGreaterThan(before.latestBlock)
    })

    it('resumes after a restart without re-indexing finalized blocks', async () => {
      await finalizeChainHead()
      const tasksBefore = await completedEvents(
        indexer.url,
        'TaskMarket:TaskPosted',
      )
      expect(tasksBefore).toBeGreaterThanOrEqual(5)
      await indexer.stop()

      const { taskId } = await post('while-stopped')
      indexer = await startIndexer({
        deployment: chain.file,
        port,
        ...database,
        pollingInterval: 200,
      })
      api = createIndexerClient(indexer.url)
      expect(indexer.logs().join('\n')).toMatch(/crash recovery/i)
      await taskIn(taskId, 'Posted')
      // the new process handled only the task posted while it was down
      expect(await completedEvents(indexer.url, 'TaskMarket:TaskPosted')).toBe(
        1,
      )
      // and everything from before is still there
      const profile = await api.node(nodes[0]?.wallet.account.address ?? '0x')
      expect(profile.node.counters.completed).toBe(1)
      const open = await api.openTasks({ model: other })
      expect(open.tasks).toHaveLength(1)
    })
  })
}
