// Embeddings benchmark: all-MiniLM-L6-v2 sentences/s at batch 1 and 32 for
// our engine (in-process) against a float32 numpy + OpenBLAS implementation
// of the same model (bench/peers/minilm_numpy_bench.py; sentence-transformers
// needs torch, which does not fit these machines), in the same run.
// Run: `npm run bench:embeddings [-- --runs 3 --sentences 256]`.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { loadEmbeddingModel } from '../src/engine/embeddings/loadEmbeddingModel.ts'
import { minilmPath } from '../test/helpers/minilm.ts'
import { ensurePeerModules } from './lib/peerPython.ts'
import { runPython } from './lib/runPeer.ts'

const here = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    sentences: { type: 'string', default: '128' },
    batch: { type: 'string', default: '1,32' },
  },
})
const runs = Number(values.runs)
const batchSizes = values.batch.split(',').map(Number)

// Short, varied sentences (the fixture's, minus the 256-token document).
const fixture = JSON.parse(
  readFileSync(
    join(here, '..', 'test', 'fixtures', 'minilm-reference.json'),
    'utf8',
  ),
)
const pool: string[] = fixture.sentences
  .map((s: { text: string }) => s.text)
  .filter((t: string) => t.length < 200)
const sentences = Array.from(
  { length: Number(values.sentences) },
  (_, i) => `${pool[i % pool.length]} (${i})`,
)

type Row = {
  engine: string
  batchSize: number
  sentencesPerSecond: number
  vsPeer?: number
}
const rows: Row[] = []

const dir = minilmPath()
const model = await loadEmbeddingModel(dir)
await model.embed(sentences.slice(0, 4))
for (const bs of batchSizes) {
  let best = 0
  for (let r = 0; r < runs; r++) {
    const t = performance.now()
    for (let i = 0; i < sentences.length; i += bs)
      await model.embed(sentences.slice(i, i + bs), { batchSize: bs })
    best = Math.max(best, sentences.length / ((performance.now() - t) / 1000))
  }
  rows.push({
    engine: 'pocket (MLX + AVX2 f32)',
    batchSize: bs,
    sentencesPerSecond: best,
  })
  process.stderr.write(`pocket batch ${bs}: ${best.toFixed(1)} sentences/s\n`)
}
await model.dispose()

ensurePeerModules(['numpy', 'safetensors', 'tokenizers'])
const peer = await runPython<{
  results: { batchSize: number; sentencesPerSecond: number }[]
  version: string
}>(join(here, 'peers', 'minilm_numpy_bench.py'), {
  modelDir: dir,
  sentences,
  batchSizes,
  runs,
})
for (const r of peer.results)
  rows.push({ engine: `numpy f32 (${peer.version})`, ...r })
for (const r of rows) {
  const p = peer.results.find((x) => x.batchSize === r.batchSize)
  if (p && !r.engine.startsWith('numpy'))
    r.vsPeer = r.sentencesPerSecond / p.sentencesPerSecond
}

console.log('engine                          batch  sentences/s  vs numpy')
for (const r of rows)
  console.log(
    `${r.engine.padEnd(32)}${String(r.batchSize).padStart(5)}  ${r.sentencesPerSecond.toFixed(1).padStart(11)}  ${r.vsPeer ? `${r.vsPeer.toFixed(2)}x` : '-'}`,
  )
mkdirSync(join(here, 'results'), { recursive: true })
writeFileSync(
  join(here, 'results', 'embeddings.json'),
  `${JSON.stringify({ date: new Date().toISOString(), sentences: sentences.length, runs, rows }, null, 2)}\n`,
)
