// Bounded load test of our server: 16 streaming clients in a loop for 5
// minutes, each disconnecting mid-stream with p = 0.3 after a random number
// of chunks. Goals: zero server errors; resident memory stable within 10%
// after warm-up; every disconnected generation cancelled (the server's
// GET /api/v1/stats counters), none left active at the end.
// Run: `npm run bench:loadtest [-- --seconds 60 --streams 16]`.
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { rssMiB, startPocketServer } from './lib/benchServers.ts'
import {
  checkCancellations,
  fetchGenerationStats,
  runLoadClients,
  waitForIdle,
} from './lib/loadClients.ts'
import { printRows } from './lib/printRows.ts'
import { streamChat } from './lib/streamChat.ts'

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '300' },
    streams: { type: 'string', default: '16' },
    tokens: { type: 'string', default: '48' },
    disconnect: { type: 'string', default: '0.3' },
    parallel: { type: 'string', default: '16' },
  },
})
const SECONDS = Number(args.seconds)
const STREAMS = Number(args.streams)
const TOKENS = Number(args.tokens)
const DISCONNECT_P = Number(args.disconnect)
const SAMPLE_MS = 5000
const loadBefore = loadavg()

const server = await startPocketServer({ parallel: Number(args.parallel) })
let report: Record<string, unknown>
try {
  // Warm-up: the first generations allocate caches that then stay.
  await Promise.all(
    Array.from({ length: 4 }, (_, i) =>
      streamChat({
        url: server.url,
        body: {
          model: server.model,
          messages: [{ role: 'user', content: `Warm-up ${i}` }],
          max_tokens: TOKENS,
        },
      }),
    ),
  )
  const before = await fetchGenerationStats(server.url)
  const started = performance.now()
  const deadline = started + SECONDS * 1000
  const rss: { s: number; mib: number }[] = []
  const sample = () => {
    const mib = rssMiB(server.pid)
    if (mib !== null) rss.push({ s: (performance.now() - started) / 1000, mib })
  }
  sample()
  const sampler = setInterval(() => {
    sample()
    const last = rss.at(-1)
    process.stdout.write(
      `  ${last?.s.toFixed(0)} s: RSS ${last?.mib.toFixed(0)} MiB\n`,
    )
  }, SAMPLE_MS)
  const tally = await runLoadClients({
    url: server.url,
    model: server.model,
    streams: STREAMS,
    maxTokens: TOKENS,
    disconnectP: DISCONNECT_P,
    keepGoing: () => performance.now() < deadline,
  })
  const wallS = (performance.now() - started) / 1000
  clearInterval(sampler)
  const afterRunMiB = rssMiB(server.pid)
  const after = await waitForIdle(server.url)
  const check = checkCancellations(before, after, tally)

  // Warm-up ends after the first 20% of the run (at least one sample in).
  const settled = rss.filter((r) => r.s >= Math.min(60, SECONDS * 0.2))
  const steady = settled.length >= 2 ? settled : rss
  const mibs = steady.map((r) => r.mib)
  const first = mibs[0] as number
  const last = mibs.at(-1) as number
  const memory = {
    samples: rss,
    firstMiB: first,
    lastMiB: last,
    minMiB: Math.min(...mibs),
    maxMiB: Math.max(...mibs),
    driftPct: ((last - first) / first) * 100,
    spreadPct: ((Math.max(...mibs) - Math.min(...mibs)) / first) * 100,
    afterRunMiB,
  }
  const pass = {
    zeroErrors: tally.errors === 0 && check.failed === 0,
    memoryWithin10Pct: Math.abs(memory.spreadPct) <= 10,
    allDisconnectsCancelled:
      check.lost === 0 && check.consistent && check.raced >= 0,
  }
  const yes = (b: boolean) => (b ? 'pass' : 'FAIL')
  console.log('')
  printRows([
    ['measure', 'value', 'goal'],
    ['duration s', wallS.toFixed(0), String(SECONDS)],
    ['requests', String(tally.requests), ''],
    ['tokens streamed', String(tally.tokens), ''],
    ['aggregate tok/s', (tally.tokens / wallS).toFixed(1), ''],
    [
      'server errors (5xx, error frames, failed)',
      String(tally.errors + check.failed),
      `0: ${yes(pass.zeroErrors)}`,
    ],
    ['client disconnects', String(tally.disconnects), ''],
    [
      'cancelled by the server',
      `${check.cancelled} (+${check.raced} finished before the abort arrived)`,
      `all: ${yes(pass.allDisconnectsCancelled)}`,
    ],
    ['still active after the run', String(check.lost), '0'],
    [
      'RSS MiB after warm-up first / last / min / max',
      [memory.firstMiB, memory.lastMiB, memory.minMiB, memory.maxMiB]
        .map((x) => x.toFixed(0))
        .join(' / '),
      '',
    ],
    [
      'RSS drift (last vs first) / spread',
      `${memory.driftPct.toFixed(1)}% / ${memory.spreadPct.toFixed(1)}%`,
      `within 10%: ${yes(pass.memoryWithin10Pct)}`,
    ],
  ])
  if (tally.errorMessages.length)
    console.log(`errors: ${tally.errorMessages.join(' | ')}`)
  report = {
    date: new Date().toISOString(),
    seconds: SECONDS,
    wallSeconds: wallS,
    streams: STREAMS,
    maxTokens: TOKENS,
    disconnectP: DISCONNECT_P,
    parallel: Number(args.parallel),
    serverRunner: server.runner,
    tally,
    generations: check,
    memory,
    pass,
    machine: {
      cores: cpus().length,
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadavg(),
    },
  }
} finally {
  await server.stop()
}
console.log(
  `load average before ${loadBefore.map((x) => x.toFixed(2)).join(' ')}, after ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
)
const day = new Date().toISOString().slice(0, 10)
const out = join(
  dirname(fileURLToPath(import.meta.url)),
  'results',
  `loadtest-${day}.json`,
)
mkdirSync(dirname(out), { recursive: true })
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`)
console.log(`wrote ${out}`)
