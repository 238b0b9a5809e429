// The cheat set on this CPU (issue 14, reference/verification-anchors.md):
// each cheat generates tasks as a node would and signs receipts claiming the
// real model and its declared settings; the honest auditor (SmolLM2 Q4_1,
// custom CPU kernels, float32) audits them with the calibrated thresholds.
// summarize.ts then reports detection as run and as if the cheater had
// declared a half-precision GPU (the widest band), and by output length.
//   node bench/audit/cheats.ts [--dir .audit-runs] [--count 40] [--only kv4]
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { cheatModels } from './cheatModels.ts'

const { values: a } = parseArgs({
  options: {
    dir: { type: 'string', default: '.audit-runs' },
    count: { type: 'string', default: '40' },
    first: { type: 'string', default: '1000' },
    only: { type: 'string' },
  },
})
const models = cheatModels()
const CHEATS: { name: string; args: string[] }[] = [
  { name: 'q4_0', args: ['--cheat-model', models.q4_0] },
  { name: 'drop2', args: ['--cheat-model', models.drop2] },
  { name: 'kv4', args: [] },
  { name: 'temp0.6', args: ['--sampled-only'] },
]
const here = import.meta.dirname
const env = { ...process.env, POCKET_DEVICE: 'cpu', POCKET_GRAPH_PATH: '0' }
function run(script: string, args: string[]): void {
  const r = spawnSync(process.execPath, [join(here, script), ...args], {
    stdio: 'inherit',
    env,
  })
  if (r.status !== 0) throw new Error(`${script} ${args.join(' ')} failed`)
}
for (const c of CHEATS) {
  if (a.only && !a.only.split(',').includes(c.name)) continue
  const tasks = join(a.dir as string, `cheat-${c.name}.jsonl`)
  run('generate.ts', [
    '--out',
    tasks,
    '--first',
    a.first as string,
    '--count',
    a.count as string,
    '--cheat',
    c.name,
    ...c.args,
  ])
  run('verify.ts', [
    '--tasks',
    tasks,
    '--out',
    join(a.dir as string, `audit-cheat-${c.name}.jsonl`),
  ])
}
