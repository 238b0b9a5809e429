// Server benchmark, two questions:
// 1. What does HTTP streaming cost? Decode tok/s of the same loaded model
//    through `POST /v1/chat/completions` (SSE, parsed like a client does)
//    vs. calling model.generate() in-process. Goal: <= 3% loss.
// 2. What does the prefix cache buy a multi-turn chat? Time to first token
//    of each new turn when the history is cached vs. the same requests made
//    cold (a unique first line defeats the cache). Goal: >= 5x faster.
// Run: `npm run bench:server [-- --runs 3 --tokens 64 --turns 4 --history 600]`.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { resolveModelPath } from '../src/cli/resolveModelPath.ts'
import { loadModel } from '../src/engine/loadModel.ts'
import type { ChatMessage } from '../src/engine/types.ts'
import { ModelStore } from '../src/models/ModelStore.ts'
import { ModelResidency } from '../src/models/residency/ModelResidency.ts'
import type { EngineModel } from '../src/models/types.ts'
import { createServer } from '../src/server/createServer.ts'

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'smollm2' },
    runs: { type: 'string', default: '3' },
    tokens: { type: 'string', default: '64' },
    turns: { type: 'string', default: '4' },
    history: { type: 'string', default: '600' },
  },
})
const RUNS = Number(args.runs)
const TOKENS = Number(args.tokens)
const TURNS = Number(args.turns)
const HISTORY_WORDS = Number(args.history)

const path = await resolveModelPath({ model: args.model as string })
const model = await loadModel(path)
const noEos = Object.fromEntries(
  model.tokenizer.special.eosIds.map((id) => [id, -100]),
)
// The server serves this very instance: same weights, same engine thread.
const shared: EngineModel = {
  info: model.info,
  generate: (input, options) => model.generate(input, options),
  tokenize: (text) => model.tokenize(text),
  detokenize: (ids) => model.detokenize(ids),
  applyChatTemplate: (messages, opts) =>
    model.applyChatTemplate(messages, opts),
  dispose: async () => {},
}
const catalogue = new ModelStore()
const local = { ...(await fakeEntry()), path }
const residency = new ModelResidency({
  catalogue: { list: async () => [local], resolve: async () => local },
  loader: async () => shared,
})
const server = createServer({ port: 0, residency, catalogue })
const { url } = await server.listen()

const question = [
  { role: 'user' as const, content: 'Tell me a long story about a river.' },
]
const timings = { inProcess: [] as Run[], http: [] as Run[] }
await inProcess(4)
await http(question, 4) // warm-up both paths
for (let i = 0; i < RUNS; i++) {
  timings.inProcess.push(await inProcess(TOKENS))
  timings.http.push(await http(question, TOKENS))
}
const decode = (runs: Run[]) =>
  median(runs.map((r) => (r.tokens - 1) / ((r.lastMs - r.firstMs) / 1000)))
const endToEnd = (runs: Run[]) =>
  median(runs.map((r) => r.tokens / (r.lastMs / 1000)))
const streaming = {
  inProcessDecodeTps: decode(timings.inProcess),
  httpDecodeTps: decode(timings.http),
  inProcessEndToEndTps: endToEnd(timings.inProcess),
  httpEndToEndTps: endToEnd(timings.http),
}
const loss = 1 - streaming.httpDecodeTps / streaming.inProcessDecodeTps

// Multi-turn: warm = one conversation growing turn by turn (history cached);
// cold = the same requests, each behind a unique first line.
const history = conversationStart()
const warm: { ttftMs: number; cached: number; prompt: number }[] = []
const cold: { ttftMs: number; cached: number; prompt: number }[] = []
const turns: ChatMessage[][] = []
let messages = history
for (let t = 0; t < TURNS; t++) {
  messages = [
    ...messages,
    { role: 'user', content: `Question ${t + 1}: what happened next?` },
  ]
  turns.push(messages)
  const r = await http(messages, 8)
  warm.push({ ttftMs: r.firstMs, cached: r.cached, prompt: r.prompt })
  messages = [...messages, { role: 'assistant', content: r.text }]
}
for (const [t, m] of turns.entries()) {
  const nonce: ChatMessage = {
    role: 'system',
    content: `Session ${Date.now()}-${t}-${Math.random()}`,
  }
  const r = await http([nonce, ...m.slice(1)], 8)
  cold.push({ ttftMs: r.firstMs, cached: r.cached, prompt: r.prompt })
}
const warmTtft = median(warm.slice(1).map((w) => w.ttftMs))
const coldTtft = median(cold.slice(1).map((c) => c.ttftMs))

await server.close()
await model.dispose()

const rows = [
  [
    'streaming decode tok/s',
    streaming.inProcessDecodeTps.toFixed(2),
    streaming.httpDecodeTps.toFixed(2),
    `${(loss * 100).toFixed(1)}% loss (goal <= 3%)`,
  ],
  [
    'streaming end-to-end tok/s',
    streaming.inProcessEndToEndTps.toFixed(2),
    streaming.httpEndToEndTps.toFixed(2),
    '',
  ],
  [
    'multi-turn TTFT ms (median, turns 2..n)',
    `cold ${coldTtft.toFixed(0)}`,
    `cached ${warmTtft.toFixed(0)}`,
    `${(coldTtft / warmTtft).toFixed(1)}x faster (goal >= 5x)`,
  ],
]
printTable([
  ['measure', 'in-process / cold', 'HTTP / cached', 'result'],
  ...rows,
])
console.log(
  `\nwarm turns: ${warm.map((w) => `${w.prompt} prompt / ${w.cached} cached`).join(', ')}`,
)
const out = join(
  dirname(fileURLToPath(import.meta.url)),
  'results',
  'server.json',
)
mkdirSync(dirname(out), { recursive: true })
writeFileSync(
  out,
  `${JSON.stringify({ date: new Date().toISOString(), model: path, runs: RUNS, tokens: TOKENS, streaming, httpLoss: loss, multiTurn: { warm, cold, warmTtftMs: warmTtft, coldTtftMs: coldTtft, speedup: coldTtft / warmTtft } }, null, 2)}\n`,
)
console.log(`wrote ${out}`)

type Run = {
  tokens: number
  firstMs: number
  lastMs: number
  cached: number
  prompt: number
  text: string
}

async function inProcess(maxTokens: number): Promise<Run> {
  const start = performance.now()
  let first = 0
  const stream = model.generate(question, {
    temperature: 0,
    maxTokens,
    logitBias: noEos,
  })
  for await (const chunk of stream)
    if (!first && chunk.text) first = performance.now() - start
  const lastMs = performance.now() - start
  const stats = await stream.result
  return {
    tokens: stats.completionTokens,
    firstMs: first,
    lastMs,
    cached: stats.cachedTokens,
    prompt: stats.promptTokens,
    text: '',
  }
}

/** Streams a chat completion and parses SSE the way a client does. */
async function http(msgs: ChatMessage[], maxTokens: number): Promise<Run> {
  const start = performance.now()
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: local.key,
      messages: msgs,
      max_tokens: maxTokens,
      temperature: 0,
      logit_bias: noEos,
      stream: true,
      stream_options: { include_usage: true },
    }),
  })
  const decoder = new TextDecoder()
  let buffer = ''
  let first = 0
  let text = ''
  let usage = {
    completion_tokens: 0,
    prompt_tokens: 0,
    prompt_tokens_details: { cached_tokens: 0 },
  }
  for await (const bytes of res.body as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(bytes, { stream: true })
    let cut = buffer.indexOf('\n\n')
    while (cut >= 0) {
      const frame = buffer.slice(6, cut)
      buffer = buffer.slice(cut + 2)
      cut = buffer.indexOf('\n\n')
      if (frame === '[DONE]') continue
      const chunk = JSON.parse(frame)
      const delta = chunk.choices[0]?.delta?.content
      if (delta) {
        if (!first) first = performance.now() - start
        text += delta
      }
      if (chunk.usage) usage = chunk.usage
    }
  }
  return {
    tokens: usage.completion_tokens,
    firstMs: first,
    lastMs: performance.now() - start,
    cached: usage.prompt_tokens_details.cached_tokens,
    prompt: usage.prompt_tokens,
    text,
  }
}

function conversationStart(): ChatMessage[] {
  const words =
    'the ferryman measured the river against a painted post and wrote the number in a ledger'.split(
      ' ',
    )
  const doc = Array.from(
    { length: HISTORY_WORDS },
    (_, i) => words[i % words.length],
  ).join(' ')
  return [
    { role: 'system', content: 'You are a storyteller.' },
    { role: 'user', content: `Here is my notebook:\n${doc}\nRemember it.` },
    { role: 'assistant', content: 'I have read your notebook.' },
  ]
}

async function fakeEntry() {
  const found = (await catalogue.list()).find((m) => m.path === path)
  return (
    found ?? {
      key: 'local/bench-model',
      publisher: 'local',
      name: 'bench-model',
      alias: 'bench-model',
      variant: null,
      path,
      format: 'gguf' as const,
      type: 'llm' as const,
      architecture: model.info.architecture,
      quantization: model.info.quantization,
      sizeBytes: model.info.sizeBytes,
      maxContextLength: model.info.contextLength,
      source: 'import' as const,
    }
  )
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2
    ? (s[m] as number)
    : ((s[m - 1] as number) + (s[m] as number)) / 2
}

function printTable(rows: string[][]): void {
  const widths =
    rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ??
    []
  for (const [i, r] of rows.entries()) {
    console.log(
      r
        .map((c, j) => c.padEnd(widths[j] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  }
}
