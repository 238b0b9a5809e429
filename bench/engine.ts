// Engine benchmark: prefill tok/s, decode tok/s, time to first token and
// peak RSS for our engine (in-process) against llama.cpp's own `llama-bench`
// (same GGUF, same threads; scripts/peers/build-llamacpp.sh builds it) on
// SmolLM2 Q4_1 and Gemma 3 270M Q4_K_M from the model store. The machine is
// noisy, so the two alternate for --rounds rounds and the table gives each
// ratio's median and range. --mlx-python adds MLX's Python stack once.
// Run: `npm run bench:engine [-- --rounds 3 --prompt-tokens 128,512
// --decode-activations int8-head|int8|float32]` (default: the engine's, int8-head).
// `benchEngine` alone is what `pocket bench` runs.
import { mkdirSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { ggufShards } from '../src/engine/ggufShards.ts'
import { loadModel } from '../src/engine/loadModel.ts'
import type { Model } from '../src/engine/model.ts'
import { buildPrompt } from './lib/buildPrompt.ts'
import { type BenchRow, median } from './lib/formatTable.ts'
import { llamaBench } from './lib/llamaCpp.ts'
import { ensurePeerModules } from './lib/peerPython.ts'
import { printRows } from './lib/printRows.ts'
import { resolveBenchModel } from './lib/resolveBenchModel.ts'
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

type Round = {
  prompts: number[][]
  ours: BenchRow[]
  llama: { promptTokens: number; prefillTps: number; decodeTps: number }[]
}

/** One round: our engine, then llama-bench, on every prompt length. */
async function round(
  model: Model,
  path: string,
  lengths: number[],
  genTokens: number,
): Promise<Round> {
  const { rows: ours, prompts } = await measure(model, {
    modelPath: path,
    promptLengths: lengths,
    genTokens,
    runs: 1,
  })
  const pp = llamaBench(path, {
    prompt: lengths,
    gen: [0],
    reps: 2,
    threads: 2,
  })
  const tg = llamaBench(path, {
    prompt: [0],
    gen: [genTokens],
    depth: lengths,
    reps: 2,
    threads: 2,
  })
  const llama = lengths.map((n) => ({
    promptTokens: n,
    prefillTps: pp.rows.find((r) => r.nPrompt === n)?.avgTps ?? Number.NaN,
    decodeTps: tg.rows.find((r) => r.nDepth === n)?.avgTps ?? Number.NaN,
  }))
  return { prompts, ours, llama }
}

const range = (xs: number[]) => ({
  median: median(xs),
  min: Math.min(...xs),
  max: Math.max(...xs),
})
type Range = ReturnType<typeof range>
const fmt = (r: Range, d = 1, unit = '') =>
  `${r.median.toFixed(d)}${unit} (${r.min.toFixed(d)}-${r.max.toFixed(d)})`

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: {
        type: 'string',
        default: 'smollm2-135m-instruct,gemma-3-270m',
      },
      'prompt-tokens': { type: 'string', default: '128,512' },
      'gen-tokens': { type: 'string', default: '64' },
      rounds: { type: 'string', default: '3' },
      'mlx-python': { type: 'boolean', default: false },
      // The engine's default; int8 and float32 are the other modes.
      'decode-activations': { type: 'string', default: 'int8-head' },
    },
  })
  const here = dirname(fileURLToPath(import.meta.url))
  const lengths = values['prompt-tokens'].split(',').map(Number)
  const genTokens = Number(values['gen-tokens'])
  const rounds = Number(values.rounds)
  const step = (label: string) => process.stderr.write(`[bench] ${label}\n`)

  ensurePeerModules(['numpy'])
  step('memory bandwidth (numpy copy)')
  const bw = await runPython<{ copyGBps: number }>(
    join(here, 'peers/bandwidth.py'),
    {},
  )
  const models = []
  for (const id of values.model.split(',')) {
    const path = await resolveBenchModel(id)
    const weightBytes = ggufShards(path).reduce(
      (n, f) => n + statSync(f).size,
      0,
    )
    const decodeActivations = values['decode-activations'] as
      | 'int8-head'
      | 'int8'
      | 'float32'
    const model = await loadModel(path, { decodeActivations })
    const all: Round[] = []
    let mappedTo: string | undefined
    try {
      const types = Object.entries(model.info.tensorTypes ?? {})
      if (types.length)
        mappedTo = types.map(([t, i]) => `${t}: ${i.mappedTo}`).join('; ')
      for (let r = 0; r < rounds; r++) {
        step(`${id}: round ${r + 1}/${rounds} (ours, then llama-bench)`)
        all.push(await round(model, path, lengths, genTokens))
      }
    } finally {
      await model.dispose()
    }
    let mlx: PeerResult | null = null
    if (values['mlx-python']) {
      ensurePeerModules(['mlx', 'numpy'])
      step(`${id}: MLX Python, separate process`)
      mlx = await runPython<PeerResult>(
        join(here, 'peers/mlx_python_bench.py'),
        {
          model: path,
          prompts: all[0]?.prompts ?? [],
          genTokens,
          runs: 1,
          threads: 2,
        },
      ).catch((e: Error) => {
        step(`  MLX Python could not run this file: ${e.message.slice(0, 160)}`)
        return null
      })
    }
    const boundTps = (bw.copyGBps * 1e9) / weightBytes
    const summary = lengths.map((n, i) => {
      const ours = all.map((r) => r.ours[i] as BenchRow)
      const peer = all.map((r) => r.llama[i] as Round['llama'][number])
      return {
        promptTokens: n,
        decodeTps: range(ours.map((o) => o.decodeTps)),
        llamaDecodeTps: range(peer.map((p) => p.decodeTps)),
        decodeVsLlamaBench: range(
          all.map(
            (_, k) =>
              (ours[k] as BenchRow).decodeTps /
              (peer[k] as Round['llama'][number]).decodeTps,
          ),
        ),
        prefillTps: range(ours.map((o) => o.prefillTps)),
        llamaPrefillTps: range(peer.map((p) => p.prefillTps)),
        prefillVsLlamaBench: range(
          all.map(
            (_, k) =>
              (ours[k] as BenchRow).prefillTps /
              (peer[k] as Round['llama'][number]).prefillTps,
          ),
        ),
        ttftMs: range(ours.map((o) => o.ttftMs)),
        decodeShareOfBound: range(ours.map((o) => o.decodeTps / boundTps)),
      }
    })
    models.push({
      id,
      path,
      weightBytes,
      boundDecodeTps: boundTps,
      mappedTo,
      summary,
      rounds: all,
      mlxPython: mlx,
    })
  }

  console.log(
    `\n${rounds} round(s); median (min-max) over rounds; ${genTokens} decoded tokens, 2 threads; decodeActivations ${values['decode-activations']}`,
  )
  printRows([
    [
      'model',
      'prompt',
      'decode tok/s',
      'llama-bench',
      'decode ratio',
      'of bound',
      'prefill tok/s',
      'llama-bench',
      'prefill ratio',
    ],
    ...models.flatMap((m) =>
      m.summary.map((s) => [
        m.id,
        String(s.promptTokens),
        fmt(s.decodeTps),
        fmt(s.llamaDecodeTps),
        fmt(s.decodeVsLlamaBench, 2, 'x'),
        fmt(
          {
            median: s.decodeShareOfBound.median * 100,
            min: s.decodeShareOfBound.min * 100,
            max: s.decodeShareOfBound.max * 100,
          },
          0,
          '%',
        ),
        fmt(s.prefillTps, 0),
        fmt(s.llamaPrefillTps, 0),
        fmt(s.prefillVsLlamaBench, 2, 'x'),
      ]),
    ),
  ])
  for (const m of models)
    console.log(
      `${m.id}: bandwidth bound ${m.boundDecodeTps.toFixed(0)} tok/s (${(m.weightBytes / 1e6).toFixed(1)} MB per token / ${bw.copyGBps.toFixed(1)} GB/s copy)`,
    )
  console.log(
    'goals: decode >= 1.0x llama-bench, >= 50% of the bound; prefill >= 1.5x',
  )
  const date = new Date().toISOString().slice(0, 10)
  const mode = values['decode-activations']
  const suffix = mode === 'int8-head' ? '' : `-${mode}`
  const out = join(here, 'results', `engine-${date}${suffix}.json`)
  mkdirSync(dirname(out), { recursive: true })
  const report = {
    date: new Date().toISOString(),
    genTokens,
    rounds,
    threads: 2,
    decodeActivations: values['decode-activations'],
    peer: 'llama-bench (llama.cpp vendored in llama-cpp-python 0.3.36)',
    bandwidth: { copyGBps: bw.copyGBps },
    goals: {
      decodeVsLlamaBench: 1.0,
      decodeShareOfBound: 0.5,
      prefillVsLlamaBench: 1.5,
    },
    models,
  }
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`)
  console.log(`wrote ${out}`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
