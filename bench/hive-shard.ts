// Pipeline sharding benchmark: greedy decode tok/s of SmolLM2 in one process
// (the engine's ordinary path), as one rank process (the shard path without a
// ring), and split over 2 and 3 rank processes on MLX's ring backend over
// 127.0.0.1; also time to first token, start-up (load + ring connect) and the
// CPU time each rank burns per token (read from /proc; MLX's ring polls its
// sockets while a rank waits). Checks every sharded run gives the
// single-process tokens. Run: `node bench/hive-shard.ts [--tokens 64 --runs 3]`.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { native } from '../src/engine/native.ts'
import { ShardCluster, type ShardRequest } from '../src/hive/shardRun.ts'
import { smollm2Path } from '../test/helpers/models.ts'
import { printRows } from './lib/printRows.ts'

const { values: args } = parseArgs({
  options: {
    tokens: { type: 'string', default: '64' },
    runs: { type: 'string', default: '3' },
  },
})
const TOKENS = Number(args.tokens)
const RUNS = Number(args.runs)
const here = dirname(fileURLToPath(import.meta.url))
const PROMPT = [1, 9690, 314, 253, 1345, 30, 198, 504, 3458, 282, 4649, 314]
const request: ShardRequest = {
  tokens: PROMPT,
  temperature: 0,
  maxTokens: TOKENS,
}

type Run = { tokens: number[]; decodeTps: number; ttftMs: number }
type Row = {
  setup: string
  ranks: number
  decodeTps: number
  ttftMs: number
  startMs: number
  cpuSecondsPerToken: number[]
  sameTokens: boolean
}

const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

// utime + stime of a process in seconds (Linux).
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

async function singleProcess(): Promise<Run[]> {
  const model = await native().loadModel({
    path: smollm2Path(),
    format: 'gguf',
  })
  const runs: Run[] = []
  for (let i = 0; i <= RUNS; i++) {
    const tokens: number[] = []
    const stats = await new Promise<Record<string, number>>((resolve, reject) =>
      model.generate(
        { ...request, tokens: Int32Array.from(PROMPT), promptCache: false },
        (e) => {
          if (e.type === 'token') tokens.push(e.token)
          else if (e.type === 'done')
            resolve(e.stats as unknown as Record<string, number>)
          else if (e.type === 'error') reject(e.error)
        },
      ),
    )
    if (i > 0)
      runs.push({
        tokens,
        decodeTps: stats.tokensPerSecond,
        ttftMs: stats.timeToFirstTokenMs,
      })
  }
  await model.unload()
  return runs
}

async function sharded(n: number, reference: number[]): Promise<Row> {
  const t0 = performance.now()
  const cluster = await ShardCluster.start({
    modelPath: smollm2Path(),
    members: Array.from({ length: n }, (_, i) => ({
      id: `rank${i}`,
      freeMemoryBytes: 1,
    })),
  })
  const startMs = performance.now() - t0
  try {
    const pids = Object.values(cluster.pids()) as number[]
    const runs: Run[] = []
    let cpu = pids.map(() => 0)
    for (let i = 0; i <= RUNS; i++) {
      const before = pids.map(cpuSeconds)
      const tokens: number[] = []
      let stats: Record<string, number> = {}
      for await (const e of cluster.generate(request)) {
        if (e.type === 'token') tokens.push(e.token)
        else if (e.type === 'done')
          stats = e.stats as unknown as Record<string, number>
        else throw new Error(`unexpected ${e.type} during the benchmark`)
      }
      if (i === 0) continue // warm-up
      const used = pids.map((p, k) => cpuSeconds(p) - (before[k] as number))
      cpu = cpu.map((c, k) => c + (used[k] as number) / tokens.length / RUNS)
      runs.push({
        tokens,
        decodeTps: stats.tokensPerSecond,
        ttftMs: stats.timeToFirstTokenMs,
      })
    }
    return {
      setup: n === 1 ? 'shard path, 1 rank process' : `ring, ${n} ranks`,
      ranks: n,
      decodeTps: median(runs.map((r) => r.decodeTps)),
      ttftMs: median(runs.map((r) => r.ttftMs)),
      startMs,
      cpuSecondsPerToken: cpu,
      sameTokens: runs.every((r) => r.tokens.join() === reference.join()),
    }
  } finally {
    await cluster.close()
  }
}

const load = loadavg()[0]
const single = await singleProcess()
const reference = single[0]?.tokens ?? []
const rows: Row[] = [
  {
    setup: 'one process (engine path)',
    ranks: 1,
    decodeTps: median(single.map((r) => r.decodeTps)),
    ttftMs: median(single.map((r) => r.ttftMs)),
    startMs: 0,
    cpuSecondsPerToken: [],
    sameTokens: true,
  },
]
for (const n of [1, 2, 3]) rows.push(await sharded(n, reference))

console.log(
  `\nSmolLM2-135M Q4_1, greedy, ${TOKENS} tokens, median of ${RUNS} runs, ${cpus().length} CPUs (load ${load.toFixed(1)} at start)`,
)
printRows([
  [
    'setup',
    'decode tok/s',
    'TTFT ms',
    'start ms',
    'CPU s/token per rank',
    'same tokens',
  ],
  ...rows.map((r) => [
    r.setup,
    r.decodeTps.toFixed(1),
    r.ttftMs.toFixed(0),
    r.startMs ? r.startMs.toFixed(0) : '-',
    r.cpuSecondsPerToken.map((c) => c.toFixed(3)).join(' / ') || '-',
    r.sameTokens ? 'yes' : 'NO',
  ]),
])
mkdirSync(join(here, 'results'), { recursive: true })
writeFileSync(
  join(
    here,
    'results',
    `hive-shard-${new Date().toISOString().slice(0, 10)}.json`,
  ),
  `${JSON.stringify({ date: new Date().toISOString(), model: 'SmolLM2-135M-Instruct Q4_1', tokens: TOKENS, runs: RUNS, cpus: cpus().length, loadAverage: load, rows }, null, 2)}\n`,
)
process.exit(0)
