// Decode arithmetic vs llama.cpp: scores the one-row products that decode
// steps run, with 8-bit activations (decodeActivations: 'int8',
// qmm_q8.cpp) and with float32 ones (the default), against the committed llama.cpp
// fixtures (test/fixtures/*-llamacpp-*.json: fp32 reference on the weights
// the GGUF encodes, and llama.cpp on the file as is). Every prompt is
// evaluated one token per forward (prefill chunk 1, POCKET_QMM_ACT=q8-all),
// so each row goes through exactly the decode path. Reports top-1
// agreement and the max |difference| of the top logit per model, mode and
// reference; writes bench/results/decode-quality.json.
// Run: `npm run bench:decode-quality`.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadModel } from '../src/engine/index.ts'
import { printRows } from './lib/printRows.ts'
import { resolveBenchModel } from './lib/resolveBenchModel.ts'

type Case = {
  tokens: number[]
  continuation: number[]
  from: number
  top: { ids: number[]; logits: number[] }[]
}
type Score = { agree: number; total: number; maxDiff: number }

const HERE = dirname(fileURLToPath(import.meta.url))
const FIXTURES = join(HERE, '..', 'test', 'fixtures')
const MODELS = [
  {
    id: 'smollm2-135m-instruct',
    refs: {
      f32: 'smollm2-llamacpp-f32.json',
      file: 'smollm2-llamacpp-q4_1.json',
    },
  },
  {
    id: 'gemma-3-270m',
    refs: {
      f32: 'gemma3-270m-llamacpp-f32.json',
      file: 'gemma3-270m-llamacpp-q4_k_m.json',
    },
  },
]
// decodeActivations -> the POCKET_QMM_ACT that puts every evaluated row
// through that mode's decode arithmetic.
const MODES = {
  'int8-head': 'q8-head',
  int8: 'q8-all',
  float32: 'f32',
} as const

/** Child: scores one model against its references in this process's mode. */
async function child(id: string): Promise<Record<string, Score>> {
  const entry = MODELS.find((m) => m.id === id)
  if (!entry) throw new Error(`unknown model ${id}`)
  const model = await loadModel(await resolveBenchModel(id), {
    prefillChunkSize: 1,
  })
  try {
    const out: Record<string, Score> = {}
    for (const [ref, file] of Object.entries(entry.refs)) {
      const cases = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8'))
        .cases as Case[]
      const s: Score = { agree: 0, total: 0, maxDiff: 0 }
      for (const c of cases) {
        const ev = await model.evaluate([...c.tokens, ...c.continuation], {
          from: c.from,
          topK: 5,
        })
        c.top.forEach((t, r) => {
          s.total++
          if (ev.topIds[r * ev.topK] === t.ids[0]) s.agree++
          const d =
            (ev.topLogits[r * ev.topK] as number) - (t.logits[0] as number)
          s.maxDiff = Math.max(s.maxDiff, Math.abs(d))
        })
      }
      out[ref] = s
    }
    return out
  } finally {
    await model.dispose()
  }
}

async function main(): Promise<void> {
  const rows = []
  for (const m of MODELS)
    for (const [mode, env] of Object.entries(MODES)) {
      process.stderr.write(`[bench] ${m.id}, ${mode} activations\n`)
      const stdout = execFileSync(
        process.execPath,
        [fileURLToPath(import.meta.url), '--child', m.id],
        { env: { ...process.env, POCKET_QMM_ACT: env }, encoding: 'utf8' },
      )
      const scores = JSON.parse(stdout.trim().split('\n').at(-1) as string)
      rows.push({ model: m.id, activations: mode, ...scores })
    }
  // llama.cpp's own decode arithmetic (the file as is) against its fp32
  // reference, over the positions where both greedy continuations agree.
  for (const m of MODELS) {
    const [ref, own] = [m.refs.f32, m.refs.file].map(
      (f) =>
        JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')).cases as Case[],
    )
    const s: Score = { agree: 0, total: 0, maxDiff: 0 }
    ref?.forEach((c, i) => {
      const o = own?.[i]
      if (!o) return
      for (let r = 0; r < Math.min(c.top.length, o.top.length); r++) {
        if (
          c.continuation.slice(0, r).join() !==
          o.continuation.slice(0, r).join()
        )
          break
        s.total++
        if (c.top[r]?.ids[0] === o.top[r]?.ids[0]) s.agree++
        const d = (c.top[r]?.logits[0] ?? 0) - (o.top[r]?.logits[0] ?? 0)
        s.maxDiff = Math.max(s.maxDiff, Math.abs(d))
      }
    })
    rows.push({
      model: m.id,
      activations: 'llama.cpp (file)',
      f32: s,
      file: null,
    })
  }
  const f = (s: Score) =>
    `${s.agree}/${s.total} top-1, max |dlogit| ${s.maxDiff.toFixed(3)}`
  printRows([
    ['model', 'activations', 'vs llama.cpp fp32', 'vs llama.cpp on the file'],
    ...rows.map((r) => [
      r.model,
      r.activations,
      f(r.f32),
      r.file ? f(r.file) : '(itself)',
    ]),
  ])
  const out = join(HERE, 'results', 'decode-quality.json')
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), rows }, null, 2)}\n`,
  )
  console.log(`wrote ${out}`)
}

const at = process.argv.indexOf('--child')
if (at > 0)
  process.stdout.write(
    `${JSON.stringify(await child(process.argv[at + 1] as string))}\n`,
  )
else if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
