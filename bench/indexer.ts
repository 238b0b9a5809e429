// Indexer benchmark on a local hardhat node (npm run bench:indexer):
//  1. event-to-API latency: a TaskPosted receipt -> GET /tasks/:id answers,
//     with Ponder polling the chain every 500 ms (default) and every 100 ms;
//  2. live throughput: a burst of tasks sent with automine off and mined
//     together, time until the indexer has handled them all (events/s);
//  3. backfill throughput: a fresh indexer over the same, now finalized,
//     blocks (Ponder's own "Completed backfill" duration; events/s).
// Prints a table and writes bench/results/indexer.json.
// Options: --samples 20 --burst 600
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import {
  encodeFunctionData,
  keccak256,
  maxUint256,
  parseEther,
  toHex,
} from 'viem'
import { pocketTokenAbi, taskMarketAbi } from '../src/chain/abis.ts'
import type { ChainClients } from '../src/chain/getContracts.ts'
import { postTask } from '../src/chain/postTask.ts'
import { sendTransaction } from '../src/chain/sendTransaction.ts'
import { type Indexer, startIndexer } from '../src/indexer/startIndexer.ts'
import {
  completedEvents,
  freePort,
  type LocalChain,
  startLocalChain,
  waitFor,
} from '../test/chain/indexerHarness.ts'

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '20' },
    burst: { type: 'string', default: '600' },
  },
})
const samples = Number(values.samples)
const burst = Number(values.burst)
const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const dir = mkdtempSync(join(tmpdir(), 'pocket-bench-indexer-'))
const model = keccak256(toHex('model:bench'))
let seq = 0

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN
}

async function postOne(chain: LocalChain, requester: ChainClients) {
  seq += 1
  return postTask(requester, {
    addresses: chain.addresses,
    modelDigest: model,
    inputHash: keccak256(toHex(`input:${seq}`)),
    input: `bench ${seq}`,
    seed: 1n,
    maxPrice: parseEther('1'),
    bidDeadline: (await chain.now()) + 3600n,
    execWindow: 300,
  })
}

async function latency(
  chain: LocalChain,
  indexer: Indexer,
  requester: ChainClients,
) {
  const ms: number[] = []
  // one warm-up task: Ponder's first live block after /ready loads lazily
  const warm = await postOne(chain, requester)
  await waitFor(
    async () =>
      (await fetch(`${indexer.url}/tasks/${warm.taskId}`)).status === 200,
    { timeoutMs: 30_000 },
  )
  for (let i = 0; i < samples; i++) {
    const { taskId } = await postOne(chain, requester)
    const t0 = performance.now()
    await waitFor(
      async () =>
        (await fetch(`${indexer.url}/tasks/${taskId}`)).status === 200,
      { timeoutMs: 30_000, intervalMs: 5 },
    )
    ms.push(performance.now() - t0)
    // spread samples over the polling phase
    await new Promise((r) => setTimeout(r, 37 * (i % 7)))
  }
  return ms
}

async function withIndexer<T>(
  chain: LocalChain,
  options: { pollingInterval: number; schema: string },
  fn: (indexer: Indexer) => Promise<T>,
) {
  const indexer = await startIndexer({
    deployment: chain.file,
    port: await freePort(),
    dataDir: join(dir, 'pglite'),
    schema: options.schema,
    pollingInterval: options.pollingInterval,
  })
  try {
    return { result: await fn(indexer), logs: indexer.logs() }
  } finally {
    await indexer.stop()
  }
}

/** Sends `count` postTask transactions without mining, then mines them. */
async function sendBurst(
  chain: LocalChain,
  requesters: ChainClients[],
  count: number,
) {
  const { publicClient } = chain
  const block = await publicClient.getBlock()
  const maxFeePerGas = (block.baseFeePerGas ?? 1_000_000_000n) * 4n
  const deadline = block.timestamp + 7200n
  await publicClient.request({
    method: 'evm_setAutomine',
    params: [false],
  } as never)
  const nonces = await Promise.all(
    requesters.map((r) =>
      publicClient.getTransactionCount({
        address: r.wallet.account.address,
        blockTag: 'pending',
      }),
    ),
  )
  const last: `0x${string}`[] = []
  for (let i = 0; i < count; i++) {
    const k = i % requesters.length
    const r = requesters[k] as ChainClients
    seq += 1
    const data = encodeFunctionData({
      abi: taskMarketAbi,
      functionName: 'postTask',
      args: [
        {
          modelDigest: model,
          inputHash: keccak256(toHex(`burst:${seq}`)),
          input: toHex(`burst ${seq}`),
          inputURI: '',
          samplingParams: '0x',
          seed: 1n,
          maxPrice: parseEther('1'),
          bidDeadline: deadline,
          execWindow: 300,
        },
      ],
    })
    const nonce = nonces[k] as number
    nonces[k] = nonce + 1
    last[k] = await r.wallet.sendTransaction({
      to: chain.addresses.TaskMarket,
      data,
      gas: 250_000n,
      nonce,
      maxFeePerGas,
      maxPriorityFeePerGas: 1n,
      chain: null,
    })
  }
  // mine until every account's last transaction is in
  for (let i = 0; i < 100; i++) {
    await publicClient.request({ method: 'evm_mine' } as never)
    const done = await Promise.all(
      last.map((h) =>
        publicClient.getTransactionReceipt({ hash: h }).then(
          () => true,
          () => false,
        ),
      ),
    )
    if (done.every(Boolean)) break
  }
  await publicClient.request({
    method: 'evm_setAutomine',
    params: [true],
  } as never)
}

const chain = await startLocalChain(dir)
const rows: Record<string, string | number>[] = []
const result: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: '2 vCPU shared; hardhat node + Ponder (PGlite) on 127.0.0.1',
  samples,
  burst,
}
try {
  const requesters = [1, 2, 3, 4, 5, 6].map((i) => chain.clients(i))
  for (const r of requesters) {
    await sendTransaction(r, {
      address: chain.addresses.PocketToken,
      abi: pocketTokenAbi,
      functionName: 'approve',
      args: [chain.addresses.TaskMarket, maxUint256],
    })
  }
  const requester = requesters[0] as ChainClients

  for (const pollingInterval of [500, 100]) {
    const { result: ms } = await withIndexer(
      chain,
      { pollingInterval, schema: `bench_latency_${pollingInterval}` },
      (ix) => latency(chain, ix, requester),
    )
    const row = {
      measure: `event -> API latency (poll ${pollingInterval} ms)`,
      p50: `${quantile(ms, 0.5).toFixed(0)} ms`,
      p95: `${quantile(ms, 0.95).toFixed(0)} ms`,
      max: `${Math.max(...ms).toFixed(0)} ms`,
    }
    rows.push(row)
    result[`latencyPoll${pollingInterval}Ms`] = {
      p50: quantile(ms, 0.5),
      p95: quantile(ms, 0.95),
      max: Math.max(...ms),
      samples: ms,
    }
  }

  // live burst
  const live = await withIndexer(
    chain,
    { pollingInterval: 100, schema: 'bench_burst' },
    async (ix) => {
      const before = await completedEvents(ix.url, 'TaskMarket:TaskPosted')
      const tSend = performance.now()
      await sendBurst(chain, requesters, burst)
      const t0 = performance.now()
      await waitFor(
        async () =>
          (await completedEvents(ix.url, 'TaskMarket:TaskPosted')) >=
          before + burst,
        { timeoutMs: 300_000, intervalMs: 20 },
      )
      return { sendMs: t0 - tSend, indexMs: performance.now() - t0 }
    },
  )
  const liveRate = burst / (live.result.indexMs / 1000)
  rows.push({
    measure: `live burst: ${burst} TaskPosted mined together`,
    p50: `${liveRate.toFixed(0)} events/s`,
    p95: `${live.result.indexMs.toFixed(0)} ms total`,
    max: '',
  })
  result.liveBurst = {
    events: burst,
    ...live.result,
    eventsPerSecond: liveRate,
  }

  // backfill: finalize everything, then index it from scratch
  for (let i = 0; i < 70; i++) {
    await chain.publicClient.request({ method: 'evm_mine' } as never)
  }
  const backfill = await withIndexer(
    chain,
    { pollingInterval: 500, schema: 'bench_backfill' },
    async (ix) => {
      const events = await completedEvents(ix.url, 'TaskMarket:TaskPosted')
      return { events }
    },
  )
  // Ponder prints the duration rounded to seconds; use the log timestamps
  const at = (text: string) => {
    const line = backfill.logs.find((l) => l.includes(text)) ?? ''
    const m = line.match(/^(\d\d):(\d\d):(\d\d\.\d+)/)
    return m
      ? (Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1000
      : Number.NaN
  }
  const line = backfill.logs.find((l) => l.includes('Completed backfill'))
  const backfillMs =
    at('Completed backfill indexing') - at('Started backfill indexing')
  const backfillRate = backfill.result.events / (backfillMs / 1000)
  rows.push({
    measure: `backfill: ${backfill.result.events} TaskPosted (finalized)`,
    p50: `${backfillRate.toFixed(0)} events/s`,
    p95: `${backfillMs.toFixed(0)} ms total`,
    max: '',
  })
  result.backfill = {
    events: backfill.result.events,
    ms: backfillMs,
    eventsPerSecond: backfillRate,
    log: line,
  }
} finally {
  await chain.stop()
  rmSync(dir, { recursive: true, force: true })
}

console.table(rows)
mkdirSync(join(root, 'bench', 'results'), { recursive: true })
writeFileSync(
  join(root, 'bench', 'results', 'indexer.json'),
  `${JSON.stringify(result, null, 2)}\n`,
)
console.log('wrote bench/results/indexer.json')
