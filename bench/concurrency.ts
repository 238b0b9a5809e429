// Concurrency benchmark: our server (continuous batching) vs llama.cpp's own
// `llama-server -np 8` (continuous batching, 8 slots; built by
// scripts/peers/build-llamacpp.sh), same GGUF (SmolLM2-135M Q4_1), same two
// threads, measured one after the other (never both at once on 2 cores).
// 1. 1/4/8/16 concurrent streaming chat completions (64 tokens, greedy):
//    aggregate tok/s, p50/p95 inter-token latency, TTFT p50.
//    Goal: 8 streams >= 3x the single-stream aggregate.
// 2. A ~1000-token prompt arrives while 4 streams decode: p95 inter-token
//    latency of those 4 during its prefill vs the same 4 alone. Goal <= 2x.
// Speculative decoding is reported as not available (no draft model).
// Run: `npm run bench:concurrency [-- --levels 1,4 --tokens 32 --no-peer]`.
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import {
  type BenchServer,
  SMOLLM2_ID,
  startPocketServer,
} from './lib/benchServers.ts'
import { llamaCppBin, startLlamaCppServer } from './lib/llamaCpp.ts'
import { printRows } from './lib/printRows.ts'
import { resolveBenchModel } from './lib/resolveBenchModel.ts'
import {
  interTokenGaps,
  percentile,
  type StreamChatResult,
  streamChat,
} from './lib/streamChat.ts'

const { values: args } = parseArgs({
  options: {
    levels: { type: 'string', default: '1,4,8,16' },
    tokens: { type: 'string', default: '64' },
    parallel: { type: 'string', default: '16' },
    'long-words': { type: 'string', default: '760' },
    'no-peer': { type: 'boolean', default: false },
    'peer-slots': { type: 'string', default: '8' },
  },
})
const PEER_SLOTS = Number(args['peer-slots'])
const LEVELS = (args.levels as string).split(',').map(Number)
const TOKENS = Number(args.tokens)
const PARALLEL = Number(args.parallel)
const LONG_WORDS = Number(args['long-words'])
// EOS ids of SmolLM2 (<|endoftext|>, <|im_end|>) banned so every stream
// generates exactly max_tokens on both servers.
const NO_EOS = { '0': -100, '2': -100 }
const gguf = await resolveBenchModel(SMOLLM2_ID)
const loadBefore = loadavg()

type LevelResult = {
  streams: number
  aggregateTps: number
  itlP50Ms: number
  itlP95Ms: number
  ttftP50Ms: number
  tokensPerStream: number
  wallMs: number
  errors: number
}
type LongPromptResult = {
  idleItlP95Ms: number
  prefillItlP95Ms: number
  prefillItlMaxMs: number
  ratio: number
  gapsDuringPrefill: number
  newcomerPromptTokens: number | null
  newcomerTtftMs: number
}
type ServerResult = {
  server: string
  levels: LevelResult[]
  longPrompt: LongPromptResult
}

let nonce = 0
const body = (server: BenchServer, content: string, maxTokens: number) => ({
  model: server.model,
  messages: [{ role: 'user', content }],
  max_tokens: maxTokens,
  temperature: 0,
  logit_bias: NO_EOS,
})
// A unique first line per request: no stream reuses another's prompt cache.
const question = () =>
  `Request ${++nonce}-${Date.now()}. Tell me a long story about a river.`

async function runLevel(server: BenchServer, n: number): Promise<LevelResult> {
  const start = performance.now()
  const runs = await Promise.all(
    Array.from({ length: n }, () =>
      streamChat({ url: server.url, body: body(server, question(), TOKENS) }),
    ),
  )
  const wallMs = Math.max(...runs.map((r) => r.chunkTimes.at(-1) ?? 0)) - start
  const tokens = runs.map((r) => r.completionTokens ?? r.chunkTimes.length)
  const total = tokens.reduce((a, b) => a + b, 0)
  const gaps = runs.flatMap(interTokenGaps)
  return {
    streams: n,
    aggregateTps: total / (wallMs / 1000),
    itlP50Ms: percentile(gaps, 0.5),
    itlP95Ms: percentile(gaps, 0.95),
    ttftP50Ms: percentile(runs.map(ttft), 0.5),
    tokensPerStream: total / n,
    wallMs,
    errors: runs.filter((r) => r.error).length,
  }
}

const ttft = (r: StreamChatResult) => (r.chunkTimes[0] ?? 0) - r.startedAt

/** 4 streams decode; once one has 16 chunks a ~1000-token prompt arrives. */
async function longPrompt(server: BenchServer): Promise<LongPromptResult> {
  const decoding = 96
  const four = (onChunk?: (n: number) => void) =>
    Array.from({ length: 4 }, () =>
      streamChat({
        url: server.url,
        body: body(server, question(), decoding),
        onChunk,
      }),
    )
  const idle = await Promise.all(four())
  const idleP95 = percentile(idle.flatMap(interTokenGaps), 0.95)

  let newcomer: Promise<StreamChatResult> | null = null
  const long = `Document ${++nonce}: ${longText(LONG_WORDS)}\nSummarise the document in one line.`
  const running = await Promise.all(
    four((count) => {
      if (count >= 16 && !newcomer)
        newcomer = streamChat({ url: server.url, body: body(server, long, 8) })
    }),
  )
  const late = (await (newcomer as Promise<StreamChatResult> | null)) ?? null
  if (!late) throw new Error('the long prompt was never sent')
  const from = late.startedAt
  const to = late.chunkTimes[0] ?? performance.now()
  // Gaps of the running streams that overlap the newcomer's prefill.
  const during: number[] = []
  for (const r of running)
    for (let i = 1; i < r.chunkTimes.length; i++) {
      const a = r.chunkTimes[i - 1] as number
      const b = r.chunkTimes[i] as number
      if (b > from && a < to) during.push(b - a)
    }
  const prefillP95 = percentile(during, 0.95)
  return {
    idleItlP95Ms: idleP95,
    prefillItlP95Ms: prefillP95,
    prefillItlMaxMs: Math.max(...during, 0),
    ratio: prefillP95 / idleP95,
    gapsDuringPrefill: during.length,
    newcomerPromptTokens: late.promptTokens,
    newcomerTtftMs: ttft(late),
  }
}

function longText(words: number): string {
  const source =
    'The ferryman measured the river against a painted post each morning and wrote the number in a ledger that nobody read but everyone asked about. '.split(
      ' ',
    )
  return Array.from(
    { length: words },
    (_, i) => source[i % source.length],
  ).join(' ')
}

async function measure(server: BenchServer): Promise<ServerResult> {
  await streamChat({ url: server.url, body: body(server, question(), 8) })
  const levels: LevelResult[] = []
  for (const n of LEVELS) {
    process.stdout.write(`  ${server.name}: ${n} streams ...\n`)
    levels.push(await runLevel(server, n))
  }
  process.stdout.write(`  ${server.name}: long prompt arrival ...\n`)
  return { server: server.name, levels, longPrompt: await longPrompt(server) }
}

const results: ServerResult[] = []
console.log(`ours (parallel ${PARALLEL}) ...`)
{
  const server = await startPocketServer({ parallel: PARALLEL })
  try {
    results.push(await measure(server))
  } finally {
    await server.stop()
  }
}
if (!args['no-peer']) {
  console.log(`llama.cpp llama-server -np ${PEER_SLOTS} ...`)
  const server = await startLlamaCppServer(gguf, { parallel: PEER_SLOTS })
  try {
    results.push(await measure(server))
  } finally {
    await server.stop()
  }
}

const [ours, peer] = results as [ServerResult, ServerResult | undefined]
const at = (r: ServerResult | undefined, n: number) =>
  r?.levels.find((l) => l.streams === n)
const f = (x: number | undefined, d = 1) =>
  x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d)
console.log('')
printRows([
  [
    'server',
    'streams',
    'agg tok/s',
    'ITL p50 ms',
    'ITL p95 ms',
    'TTFT p50 ms',
    'tok/stream',
    'errors',
    'agg vs llama.cpp',
  ],
  ...results.flatMap((r) =>
    r.levels.map((l) => [
      r.server,
      String(l.streams),
      f(l.aggregateTps),
      f(l.itlP50Ms),
      f(l.itlP95Ms),
      f(l.ttftP50Ms, 0),
      f(l.tokensPerStream, 0),
      String(l.errors),
      r === ours && at(peer, l.streams)
        ? `${f(l.aggregateTps / (at(peer, l.streams) as LevelResult).aggregateTps, 2)}x`
        : '',
    ]),
  ),
])
const scaling = (r: ServerResult) => {
  const one = at(r, 1)?.aggregateTps
  const eight = at(r, 8)?.aggregateTps
  return one && eight ? eight / one : undefined
}
console.log('')
printRows([
  [
    'server',
    '8 vs 1 stream agg',
    'idle ITL p95',
    'ITL p95 during 1k prefill',
    'ratio (goal <= 2x)',
    'newcomer TTFT ms',
    'newcomer prompt tok',
  ],
  ...results.map((r) => [
    r.server,
    `${f(scaling(r), 2)}x${r === ours ? ' (goal >= 3x)' : ''}`,
    f(r.longPrompt.idleItlP95Ms),
    `${f(r.longPrompt.prefillItlP95Ms)} (${r.longPrompt.gapsDuringPrefill} gaps)`,
    `${f(r.longPrompt.ratio, 2)}x`,
    f(r.longPrompt.newcomerTtftMs, 0),
    String(r.longPrompt.newcomerPromptTokens ?? '-'),
  ]),
])
console.log(
  '\nspeculative decoding (draft model, prompt lookup, batched): see `npm run bench:speculative`',
)
const loadAfter = loadavg()
console.log(
  `load average before ${loadBefore.map((x) => x.toFixed(2)).join(' ')}, after ${loadAfter.map((x) => x.toFixed(2)).join(' ')} on ${cpus().length} cores`,
)

const day = new Date().toISOString().slice(0, 10)
const out = join(
  dirname(fileURLToPath(import.meta.url)),
  'results',
  `concurrency-${day}.json`,
)
mkdirSync(dirname(out), { recursive: true })
writeFileSync(
  out,
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      model: gguf,
      maxTokens: TOKENS,
      parallel: PARALLEL,
      threads: 2,
      peer: peer
        ? {
            name: 'llama-server',
            version: 'llama.cpp vendored in llama-cpp-python 0.3.36',
            binaries: llamaCppBin(),
            parallelSlots: PEER_SLOTS,
          }
        : null,
      machine: {
        cores: cpus().length,
        loadAverageBefore: loadBefore,
        loadAverageAfter: loadAfter,
      },
      results,
      eightVsOneStream: {
        ours: scaling(ours),
        peer: peer ? scaling(peer) : null,
      },
      speculativeDecoding: 'bench/speculative.ts',
    },
    null,
    2,
  )}\n`,
)
console.log(`wrote ${out}`)
