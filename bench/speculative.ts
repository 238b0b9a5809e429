// Speculative decoding benchmark: greedy decode tok/s of SmolLM2 plain, with
// prompt lookup and with a draft model, on prompts whose answer repeats the
// input ("extract") and on open-ended ones ("open"), one stream and four
// concurrent streams; llama.cpp (llama-cpp-python) plain and with its own
// prompt-lookup draft on the same prompt token ids, in the same run.
// The only other model with SmolLM2's vocabulary here is SmolLM2 itself, so
// the draft-model rows use a second copy: every draft is accepted, and the
// row shows what verifying costs when the draft is as slow as the model.
// Run: `npm run bench:speculative [-- --tokens 96 --draft-tokens 6 --no-peer]`.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { loadModel } from '../src/engine/loadModel.ts'
import type { Model } from '../src/engine/model.ts'
import type { ChatMessage, GenerateOptions } from '../src/engine/types.ts'
import { smollm2Path } from '../test/helpers/models.ts'
import { ensurePeerModules } from './lib/peerPython.ts'
import { printRows } from './lib/printRows.ts'
import { runPython } from './lib/runPeer.ts'

const { values: args } = parseArgs({
  options: {
    tokens: { type: 'string', default: '96' },
    'draft-tokens': { type: 'string', default: '6' },
    'no-peer': { type: 'boolean', default: false },
  },
})
const TOKENS = Number(args.tokens)
const K = Number(args['draft-tokens'])
const here = dirname(fileURLToPath(import.meta.url))

const DOC =
  'The ferryman measured the river against a painted post each morning and wrote the number in a ledger that nobody read but everyone asked about. On the third day of the flood he wrote a larger number, and the mayor came down to the water to see it for himself.'
const WORKLOADS: Record<string, string[]> = {
  extract: [
    `Repeat the following text exactly:\n${DOC}`,
    `Fix the spelling and return the whole text: ${DOC.replace('measured', 'mesured').replace('ledger', 'leger')}`,
    `Quote the second sentence of this text word for word, then the first one:\n${DOC}`,
  ],
  open: [
    'Write a short story about a robot who learns to paint.',
    'Explain how photosynthesis works in simple terms.',
    'Give three tips for learning a new language.',
  ],
}

type Run = {
  tokens: number[]
  decodeTps: number
  accepted: number
  total: number
}
type Row = {
  workload: string
  engine: string
  mode: string
  streams: number
  tps: number
  accepted: number
  total: number
  samePlain: boolean
}

const user = (content: string): ChatMessage[] => [{ role: 'user', content }]

async function runOurs(
  model: Model,
  prompt: string,
  o: GenerateOptions,
): Promise<Run> {
  const stream = model.generate(user(prompt), {
    temperature: 0,
    maxTokens: TOKENS,
    promptCache: false,
    ...o,
  })
  for await (const _ of stream);
  const s = await stream.result
  return {
    tokens: s.tokenIds,
    decodeTps: s.tokensPerSecond,
    accepted: s.speculative?.acceptedDraftTokens ?? 0,
    total: s.speculative?.totalDraftTokens ?? 0,
  }
}

/** Aggregate tok/s of all prompts at once (streams) or one after another. */
async function measureOurs(
  model: Model,
  prompts: string[],
  o: GenerateOptions,
  concurrent: boolean,
) {
  const t0 = performance.now()
  const runs = concurrent
    ? await Promise.all(prompts.map((p) => runOurs(model, p, o)))
    : await prompts.reduce<Promise<Run[]>>(
        async (acc, p) => [...(await acc), await runOurs(model, p, o)],
        Promise.resolve([]),
      )
  const wall = (performance.now() - t0) / 1000
  const tokens = runs.reduce((n, r) => n + r.tokens.length, 0)
  return {
    runs,
    // One stream: mean per-request decode rate; several: tokens over wall time.
    tps: concurrent
      ? tokens / wall
      : runs.reduce((n, r) => n + r.decodeTps, 0) / runs.length,
  }
}

const model = await loadModel(smollm2Path(), { parallel: 8 })
const twin = await loadModel(smollm2Path())
const rows: Row[] = []
const promptIds: Record<string, number[][]> = {}
const plainTokens: Record<string, number[][]> = {}
try {
  await model.complete('Hello', { maxTokens: 4, temperature: 0 }) // warm-up
  const modes: [string, GenerateOptions][] = [
    ['plain', {}],
    [
      `prompt-lookup k=${K}`,
      { draftModel: 'prompt-lookup', numDraftTokens: K },
    ],
    ['draft model (SmolLM2 copy) k=4', { draftModel: twin, numDraftTokens: 4 }],
  ]
  for (const [workload, prompts] of Object.entries(WORKLOADS)) {
    promptIds[workload] = prompts.map((p) => model.promptTokens(user(p)))
    for (const concurrent of [false, true]) {
      for (const [mode, o] of modes) {
        if (concurrent && mode.startsWith('draft model')) continue
        process.stdout.write(
          `  ${workload} ${concurrent ? prompts.length : 1} stream(s) ${mode} ...\n`,
        )
        const m = await measureOurs(model, prompts, o, concurrent)
        if (mode === 'plain' && !concurrent)
          plainTokens[workload] = m.runs.map((r) => r.tokens)
        rows.push({
          workload,
          engine: 'pocket',
          mode,
          streams: concurrent ? prompts.length : 1,
          tps: m.tps,
          accepted: m.runs.reduce((n, r) => n + r.accepted, 0),
          total: m.runs.reduce((n, r) => n + r.total, 0),
          samePlain: m.runs.every((r, i) =>
            same(r.tokens, plainTokens[workload]?.[i]),
          ),
        })
      }
    }
  }
} finally {
  await Promise.all([model.dispose(), twin.dispose()])
}

function same(a: number[], b: number[] | undefined): boolean {
  return !!b && a.length === b.length && a.every((t, i) => t === b[i])
}

type PeerRunResult = { tokens: number[]; ttftMs: number; decodeTps: number }
let peerVersion: string | null = null
if (!args['no-peer']) {
  ensurePeerModules(['llama_cpp'])
  for (const [workload, prompts] of Object.entries(promptIds)) {
    process.stdout.write(`  llama.cpp ${workload} ...\n`)
    const peer = await runPython<{
      modes: Record<string, PeerRunResult[]>
      version: string
    }>(join(here, 'peers', 'llamacpp_speculative.py'), {
      model: smollm2Path(),
      prompts,
      genTokens: TOKENS,
      threads: 2,
      numPredTokens: K,
      maxNgram: 4,
    })
    peerVersion = peer.version
    const plain = peer.modes.plain ?? []
    for (const [mode, runs] of Object.entries(peer.modes)) {
      rows.push({
        workload,
        engine: 'llama.cpp',
        mode: mode === 'plain' ? 'plain' : `prompt-lookup k=${K}`,
        streams: 1,
        tps: runs.reduce((n, r) => n + r.decodeTps, 0) / runs.length,
        accepted: Number.NaN,
        total: Number.NaN,
        samePlain: runs.every((r, i) => same(r.tokens, plain[i]?.tokens)),
      })
    }
  }
}

const base = (r: Row) =>
  rows.find(
    (b) =>
      b.workload === r.workload &&
      b.engine === r.engine &&
      b.streams === r.streams &&
      b.mode === 'plain',
  )
const table = [
  [
    'workload',
    'engine',
    'mode',
    'streams',
    'tok/s',
    'speed-up',
    'drafts accepted',
    'same tokens as plain',
  ],
  ...rows.map((r) => [
    r.workload,
    r.engine,
    r.mode,
    String(r.streams),
    r.tps.toFixed(1),
    `${(r.tps / (base(r)?.tps ?? r.tps)).toFixed(2)}x`,
    Number.isNaN(r.total)
      ? '-'
      : r.total
        ? `${r.accepted}/${r.total} (${((100 * r.accepted) / r.total).toFixed(0)}%)`
        : '-',
    r.samePlain ? 'yes' : 'no',
  ]),
]
console.log(
  `\nSmolLM2-135M Q4_1, greedy, up to ${TOKENS} tokens, 2 threads; tok/s = decode rate (1 stream) or aggregate (several)`,
)
printRows(table)
mkdirSync(join(here, 'results'), { recursive: true })
writeFileSync(
  join(
    here,
    'results',
    `speculative-${new Date().toISOString().slice(0, 10)}.json`,
  ),
  `${JSON.stringify({ date: new Date().toISOString(), tokens: TOKENS, draftTokens: K, peer: peerVersion && `llama-cpp-python ${peerVersion}`, rows }, null, 2)}\n`,
)
