// Decode and prefill speed per GGUF tensor type, ours against llama.cpp's
// own llama-bench (scripts/peers/build-llamacpp.sh) on the same file: one random-weight llama (SmolLM2-sized, dims multiples of
// 256) per type with every matrix in that type, plus llama.cpp's Q4_K_M mix,
// written once into the cache. Also "per byte": decode tok/s x weight bytes,
// relative to Q4_1 (a type that reads more bytes should not be slower per
// byte). Run: `npm run bench:quant-types [-- --types Q4_K,Q6_K --runs 2]`.
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { getPocketHome } from '../src/models/paths.ts'
import {
  type LlamaShape,
  writeRandomLlamaGguf,
} from '../test/helpers/randomLlamaGguf.ts'
import { benchEngine } from './engine.ts'
import { llamaBench } from './lib/llamaCpp.ts'

const SHAPE: LlamaShape = {
  hidden: 1024,
  layers: 8,
  heads: 16,
  kvHeads: 4,
  ffn: 2816,
  vocab: 32000,
}
const ALL =
  'Q4_0,Q4_1,Q5_0,Q5_1,Q8_0,Q2_K,Q3_K,Q4_K,Q5_K,Q6_K,IQ4_NL,IQ4_XS,MXFP4,Q4_K_M'

type Row = {
  type: string
  fileMb: number
  oursDecode: number
  llamaDecode: number
  oursPrefill: number
  llamaPrefill: number
  mappedTo: string
}

async function main() {
  const { values } = parseArgs({
    options: {
      types: { type: 'string', default: ALL },
      runs: { type: 'string', default: '2' },
      'gen-tokens': { type: 'string', default: '64' },
      'prompt-tokens': { type: 'string', default: '128' },
    },
  })
  const here = dirname(fileURLToPath(import.meta.url))
  const dir = join(getPocketHome(), 'bench', 'quant-types')
  mkdirSync(dir, { recursive: true })
  const runs = Number(values.runs)
  const genTokens = Number(values['gen-tokens'])
  const promptTokens = Number(values['prompt-tokens'])
  const rows: Row[] = []
  for (const type of values.types.split(',')) {
    const path = join(dir, `random-llama-1024x8-${type}.gguf`)
    if (!existsSync(path)) {
      process.stderr.write(`[bench] writing ${path}\n`)
      writeRandomLlamaGguf(path, {
        type: type as Parameters<typeof writeRandomLlamaGguf>[1]['type'],
        shape: SHAPE,
      })
    }
    process.stderr.write(`[bench] ${type}: pocket engine\n`)
    const ours = await benchEngine({
      modelPath: path,
      promptLengths: [promptTokens],
      genTokens,
      runs,
    })
    process.stderr.write(`[bench] ${type}: llama-bench\n`)
    const pp = llamaBench(path, {
      prompt: [promptTokens],
      gen: [0],
      reps: runs,
      threads: 2,
    })
    const tg = llamaBench(path, {
      prompt: [0],
      gen: [genTokens],
      depth: [promptTokens],
      reps: runs,
      threads: 2,
    })
    const row = ours.rows[0]
    if (!row) throw new Error('no engine result')
    rows.push({
      type,
      fileMb: statSync(path).size / 1e6,
      oursDecode: row.decodeTps,
      llamaDecode: tg.rows[0]?.avgTps ?? Number.NaN,
      oursPrefill: row.prefillTps,
      llamaPrefill: pp.rows[0]?.avgTps ?? Number.NaN,
      mappedTo: ours.mappedTo ?? '',
    })
  }
  const q41 = rows.find((r) => r.type === 'Q4_1')
  const perByte = (r: Row) =>
    q41 ? (r.oursDecode * r.fileMb) / (q41.oursDecode * q41.fileMb) : Number.NaN
  const header = [
    'type',
    'file MB',
    'decode ours',
    'decode llama-bench',
    'ratio',
    'prefill ours',
    'prefill llama-bench',
    'ratio',
    'per byte vs Q4_1',
  ]
  const lines = rows.map((r) => [
    r.type,
    r.fileMb.toFixed(0),
    r.oursDecode.toFixed(1),
    r.llamaDecode.toFixed(1),
    `${(r.oursDecode / r.llamaDecode).toFixed(2)}x`,
    r.oursPrefill.toFixed(0),
    r.llamaPrefill.toFixed(0),
    `${(r.oursPrefill / r.llamaPrefill).toFixed(2)}x`,
    `${perByte(r).toFixed(2)}x`,
  ])
  const widths = header.map((h, i) =>
    Math.max(h.length, ...lines.map((l) => (l[i] as string).length)),
  )
  const fmt = (l: string[]) =>
    l.map((c, i) => c.padStart(widths[i] as number)).join('  ')
  console.log(fmt(header))
  for (const l of lines) console.log(fmt(l))
  console.log(
    `\nshape: hidden ${SHAPE.hidden}, ${SHAPE.layers} layers, ffn ${SHAPE.ffn}, vocab ${SHAPE.vocab}; ` +
      `prompt ${promptTokens}, ${genTokens} tokens, ${runs} run(s), 2 threads` +
      '\ngoals: decode >= 0.8x llama.cpp per type; per byte >= 0.5x Q4_1',
  )
  const out = join(
    here,
    'results',
    `quant-types-${new Date().toISOString().slice(0, 10)}.json`,
  )
  writeFileSync(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), shape: SHAPE, runs, genTokens, promptTokens, rows }, null, 2)}\n`,
  )
  console.log(`wrote ${out}`)
}

await main()
