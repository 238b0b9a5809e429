// Node side of the cross-backend audit runs: executes honest tasks
// (taskSpecs.ts) in verified mode on this machine's backend, or a cheat,
// signs each receipt as a node does and appends one JSON line per task
// (task, committed result, timings) to --out. Lines are flushed as they are
// made, so a run cut short keeps what it finished.
//   node bench/audit/generate.ts --out f.jsonl [--first 0] [--count 50]
//     [--dtype float16] [--model path.gguf] [--cheat q4_0|drop2|kv4|temp0.6]
//     [--cheat-model path.gguf] [--sampled-only]
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { parseArgs } from 'node:util'
import { engineIdentity, executeTask } from '../../node/executeTask.ts'
import { loadModel } from '../../src/engine/loadModel.ts'
import type { ActivationDtype } from '../../src/engine/types.ts'
import { commitTask } from '../../test/helpers/commitTask.ts'
import { smollm2Path } from '../../test/helpers/models.ts'
import { taskSpec, withTemperature } from './taskSpecs.ts'

const { values: a } = parseArgs({
  options: {
    out: { type: 'string' },
    first: { type: 'string', default: '0' },
    count: { type: 'string', default: '20' },
    dtype: { type: 'string' },
    model: { type: 'string' },
    cheat: { type: 'string', default: 'none' },
    'cheat-model': { type: 'string' },
    'sampled-only': { type: 'boolean', default: false },
    'budget-s': { type: 'string' },
  },
})
if (!a.out) throw new Error('--out <file.jsonl> is required')
const cheats = ['none', 'q4_0', 'drop2', 'kv4', 'temp0.6']
if (!cheats.includes(a.cheat as string))
  throw new Error(`--cheat must be one of ${cheats.join(', ')}`)
if ((a.cheat === 'q4_0' || a.cheat === 'drop2') && !a['cheat-model'])
  throw new Error(
    `--cheat ${a.cheat} needs --cheat-model (bench/audit/cheatModels.ts)`,
  )
const path =
  a.cheat === 'q4_0' || a.cheat === 'drop2'
    ? (a['cheat-model'] as string)
    : (a.model ?? smollm2Path())
const model = await loadModel(path, {
  dtype: a.dtype as ActivationDtype | undefined,
  kvBits: a.cheat === 'kv4' ? 4 : undefined,
})
const id = engineIdentity(model)
mkdirSync(dirname(a.out), { recursive: true })
const deadline = a['budget-s']
  ? performance.now() + Number(a['budget-s']) * 1000
  : Number.POSITIVE_INFINITY
// Resumable: tasks already in --out count as done.
const have = new Set(
  existsSync(a.out)
    ? readFileSync(a.out, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).index as number)
    : [],
)
let done = 0
for (let i = Number(a.first); done < Number(a.count); i++) {
  if (performance.now() > deadline) break
  const spec = taskSpec(i)
  if (a['sampled-only'] && spec.temperature === 0) continue
  if (have.has(i)) {
    done++
    continue
  }
  // The temperature cheat runs at 0.6 and claims 0.8.
  const cheatT = a.cheat === 'temp0.6'
  const claimed = cheatT ? withTemperature(spec.task, 0.8) : spec.task
  const ran = cheatT ? withTemperature(spec.task, 0.6) : claimed
  const t0 = performance.now()
  const run = await executeTask(model, ran)
  const genMs = performance.now() - t0
  const committed = await commitTask({ task: claimed, run, model })
  const line = {
    index: i,
    cheat: a.cheat,
    node: { ...id, modelBackend: model.info.backend },
    task: {
      ...claimed,
      taskId: String(claimed.taskId),
      seed: String(claimed.seed),
    },
    committed,
    tokens: run.tokenIds.length,
    genMs: Math.round(genMs),
  }
  appendFileSync(a.out, `${JSON.stringify(line)}\n`)
  done++
  console.log(
    `task ${i} (${a.cheat}, ${id.backend}, ${id.activationDtype}): ${run.tokenIds.length} tokens in ${(genMs / 1000).toFixed(1)} s`,
  )
}
await model.dispose()
