// Scheduler against a real chain and indexer: the bid it assigns follows
// reputation (finalized history from the indexer) and price, per the
// documented score; plus the pure score/reputation functions and the
// GraphQL and SQL (@ponder/client) endpoints.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient, eq } from '@ponder/client'
import { getAddress, keccak256, parseEther, toHex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as schema from '../../indexer/ponder.schema.ts'
import { assignTask } from '../../src/chain/assignTask.ts'
import { commitResult } from '../../src/chain/commitResult.ts'
import { finalizeTask } from '../../src/chain/finalizeTask.ts'
import type { ChainClients } from '../../src/chain/getContracts.ts'
import { getTask } from '../../src/chain/getTask.ts'
import { placeBid } from '../../src/chain/placeBid.ts'
import { postTask } from '../../src/chain/postTask.ts'
import { stake } from '../../src/chain/stake.ts'
import { timeoutTask } from '../../src/chain/timeoutTask.ts'
import { type Indexer, startIndexer } from '../../src/indexer/startIndexer.ts'
import { assignBestBid } from '../../src/scheduler/assignBestBid.ts'
import {
  createIndexerClient,
  type IndexerClient,
} from '../../src/scheduler/createIndexerClient.ts'
import { pickBid } from '../../src/scheduler/pickBid.ts'
import { reputationOf } from '../../src/scheduler/reputation.ts'
import { scoreBid } from '../../src/scheduler/score.ts'
import {
  freePort,
  type LocalChain,
  startLocalChain,
  waitFor,
} from './indexerHarness.ts'

const E = 10n ** 18n
let dir: string
let chain: LocalChain
let indexer: Indexer
let api: IndexerClient
let requester: ChainClients
let proven: ChainClients // two completed tasks
let flaky: ChainClients // two timeouts
let fresh: ChainClients // no history
let fresh2: ChainClients // no history
let seq = 0

async function post() {
  seq += 1
  const { taskId } = await postTask(requester, {
    addresses: chain.addresses,
    modelDigest: keccak256(toHex('model:scheduler')),
    inputHash: keccak256(toHex(`input:${seq}`)),
    input: `task ${seq}`,
    seed: 1n,
    maxPrice: parseEther('10'),
    bidDeadline: (await chain.now()) + 600n,
    execWindow: 300,
  })
  return taskId
}

/** One task for `node` at `price`, run to completion or to a timeout. */
async function history(node: ChainClients, outcome: 'completed' | 'timeout') {
  const { addresses } = chain
  const taskId = await post()
  const { bidIndex } = await placeBid(node, {
    addresses,
    taskId,
    price: parseEther('8'),
  })
  await assignTask(requester, { addresses, taskId, bidIndex })
  if (outcome === 'timeout') {
    await chain.increaseTime(301)
    await timeoutTask(requester, { addresses, taskId })
    return
  }
  await commitResult(node, {
    addresses,
    taskId,
    receiptHash: keccak256(toHex(`receipt:${seq}`)),
    outputHash: keccak256(toHex(`output:${seq}`)),
    output: toHex('ok'),
    outputURI: '',
  })
  await chain.increaseTime(601)
  await finalizeTask(requester, { addresses, taskId })
}

/** Mines until the indexer's finalized block covers the current head. */
async function finalizeChainHead() {
  const target = await chain.publicClient.getBlockNumber({ cacheTime: 0 })
  for (let mined = 0; mined < 200; mined += 10) {
    await chain.mine(10)
    const height = await chain.publicClient.getBlockNumber({ cacheTime: 0 })
    const h = await waitFor(async () => {
      const head = await api.head()
      return head.latestBlock >= height ? head : undefined
    })
    if (h.finalizedBlock >= target) return
  }
  throw new Error(`block ${target} not finalized`)
}

async function bidAll(taskId: bigint, bids: [ChainClients, string][]) {
  for (const [node, price] of bids) {
    await placeBid(node, {
      addresses: chain.addresses,
      taskId,
      price: parseEther(price),
    })
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-scheduler-'))
  chain = await startLocalChain(dir)
  requester = chain.clients(1)
  ;[proven, flaky, fresh, fresh2] = [2, 3, 4, 5].map((i) => chain.clients(i))
  for (const n of [proven, flaky, fresh, fresh2]) {
    await stake(n, { addresses: chain.addresses, amount: parseEther('1000') })
  }
  indexer = await startIndexer({
    deployment: chain.file,
    port: await freePort(),
    dataDir: join(dir, 'pglite'),
    pollingInterval: 200,
  })
  api = createIndexerClient(indexer.url)
  await history(proven, 'completed')
  await history(proven, 'completed')
  await history(flaky, 'timeout')
  await history(flaky, 'timeout')
  await finalizeChainHead()
})

afterAll(async () => {
  await indexer?.stop()
  await chain?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('score and reputation (pure)', () => {
  it('orders proven > new > failing nodes and weighs value and recency', () => {
    const ok = (value: bigint, at = 0n) => ({
      kind: 'completed' as const,
      value,
      at,
    })
    const none = reputationOf([], 0n).score
    const good = reputationOf([ok(8n * E), ok(8n * E)], 0n).score
    const bad = reputationOf(
      [{ kind: 'timed_out', value: 8n * E, at: 0n }],
      0n,
    ).score
    expect(good).toBeGreaterThan(none)
    expect(none).toBeGreaterThan(bad)
    // dust tasks barely move reputation; old history fades
    expect(reputationOf([ok(E / 1000n)], 0n).score).toBeCloseTo(none, 2)
    const old = reputationOf([ok(8n * E, 0n)], 90n * 86400n).score
    expect(old).toBeLessThan(reputationOf([ok(8n * E, 0n)], 0n).score)
    // slashing weighs more than a timeout
    const slashed = reputationOf(
      [{ kind: 'slashed', value: 8n * E, at: 0n }],
      0n,
    )
    expect(slashed.score).toBeLessThan(bad)
  })

  it('discounts repeated requesters: one sybil requester cannot farm reputation', () => {
    const from = (requester: string, at: bigint) => ({
      kind: 'completed' as const,
      value: 8n * E,
      at,
      requester,
    })
    const farmed = Array.from({ length: 10 }, (_, i) =>
      from('0xsybil', 1n + BigInt(i)),
    )
    const distinct = Array.from({ length: 10 }, (_, i) =>
      from(`0xr${i}`, 1n + BigInt(i)),
    )
    const f = reputationOf(farmed, 20n)
    const d = reputationOf(distinct, 20n)
    expect(f.tasks).toBe(10)
    // harmonic: 10 tasks from one requester weigh H(10) ~ 2.93 tasks
    expect(f.successes / d.successes).toBeCloseTo(2.929 / 10, 2)
    expect(d.score).toBeGreaterThan(f.score)
  })

  it('prices: equal reputation -> cheaper scores higher', () => {
    const a = scoreBid({ price: 5n, maxPrice: 10n, reputation: 0.5 })
    const b = scoreBid({ price: 6n, maxPrice: 10n, reputation: 0.5 })
    expect(a).toBeGreaterThan(b)
    expect(
      scoreBid({ price: 6n, maxPrice: 10n, reputation: 0.7 }),
    ).toBeGreaterThan(a)
  })
})

describe('scheduler (chain + indexer)', () => {
  it('assigns the proven node over cheaper unproven or failing ones', async () => {
    const taskId = await post()
    await bidAll(taskId, [
      [flaky, '5'],
      [fresh, '6'],
      [proven, '9'],
    ])
    const result = await assignBestBid(requester, {
      addresses: chain.addresses,
      indexer: api,
      taskId,
      minBids: 3,
    })
    expect(result.bid.node).toBe(proven.wallet.account.address.toLowerCase())
    expect(result.ranked.map((r) => r.bid.node)).toEqual(
      [proven, fresh, flaky].map((c) => c.wallet.account.address.toLowerCase()),
    )
    const onChain = await getTask(requester, {
      addresses: chain.addresses,
      taskId,
    })
    expect(onChain.state).toBe('Assigned')
    expect(onChain.assignedNode).toBe(getAddress(proven.wallet.account.address))
    expect(onChain.price).toBe(parseEther('9'))
  })

  it('assigns the cheaper bid between nodes of equal reputation', async () => {
    const taskId = await post()
    await bidAll(taskId, [
      [fresh, '6'],
      [fresh2, '4'],
    ])
    const result = await assignBestBid(requester, {
      addresses: chain.addresses,
      indexer: indexer.url,
      taskId,
      minBids: 2,
    })
    expect(result.bid.node).toBe(fresh2.wallet.account.address.toLowerCase())
    const onChain = await getTask(requester, {
      addresses: chain.addresses,
      taskId,
    })
    expect(onChain.assignedNode).toBe(getAddress(fresh2.wallet.account.address))
  })

  it('lets price weigh more when the requester says so', async () => {
    const taskId = await post()
    await bidAll(taskId, [
      [proven, '9'],
      [fresh, '2'],
    ])
    const view = await waitFor(async () => {
      const v = await api.bids(taskId)
      return v && v.bids.length === 2 ? v : undefined
    })
    const byDefault = pickBid({ bids: view.bids, maxPrice: view.task.maxPrice })
    const priceFirst = pickBid({
      bids: view.bids,
      maxPrice: view.task.maxPrice,
      weights: { price: 2 },
    })
    expect(byDefault?.bid.node).toBe(
      proven.wallet.account.address.toLowerCase(),
    )
    expect(priceFirst?.bid.node).toBe(
      fresh.wallet.account.address.toLowerCase(),
    )
  })

  it('serves reputation from finalized data only', async () => {
    // the proven node's history is final; a new completion is not yet
    await history(fresh2, 'completed')
    const height = await chain.publicClient.getBlockNumber({ cacheTime: 0 })
    await waitFor(async () => (await api.head()).latestBlock >= height)
    const finalized = await api.node(fresh2.wallet.account.address)
    const latest = await api.node(fresh2.wallet.account.address, {
      finality: 'latest',
    })
    expect(finalized.node.reputation.tasks).toBe(0)
    expect(latest.node.reputation.tasks).toBe(1)
  })

  it('answers GraphQL and SQL (@ponder/client) queries', async () => {
    const res = await fetch(`${indexer.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: `{ nodes(where: { address: "${proven.wallet.account.address.toLowerCase()}" }) { items { address completed } } }`,
      }),
    })
    const body = (await res.json()) as {
      data: { nodes: { items: { completed: number }[] } }
    }
    expect(body.data.nodes.items[0]?.completed).toBe(2)

    const client = createClient(`${indexer.url}/sql`, { schema })
    const rows = await client.db
      .select()
      .from(schema.task)
      .where(eq(schema.task.state, 'TimedOut'))
    expect(rows).toHaveLength(2)
    expect(new Set(rows.map((r) => r.node))).toEqual(
      new Set([flaky.wallet.account.address.toLowerCase()]),
    )
  })
})
