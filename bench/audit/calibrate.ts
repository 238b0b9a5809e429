// Calibration runs on this CPU machine (issue 14): honest node/auditor pairs
// across kernels and activation dtypes, each as two processes (generate.ts
// on the node's backend, verify.ts on the auditor's), raw lines under
// --dir (default .audit-runs/, git-ignored). summarize.ts turns them into
// bench/results/audit-calibration-<date>.json.
//   node bench/audit/calibrate.ts [--dir .audit-runs] [--count 60] [--only C]
// Pairs: A cpu f32 -> cpu f32, C cpu-graph f16 -> cpu f32, D cpu-graph
// bf16 -> cpu f32, the reverse of A's tasks: E cpu f32 -> cpu-graph f16,
// F -> cpu-graph bf16; last B cpu-graph f32 -> cpu f32, G cpu f32 ->
// cpu-graph f32.
// The half-precision graph path on the CPU accumulates quantized matmuls in
// float32 and rounds their outputs, as MLX's GPU kernels do (native qmm.cpp).
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

const { values: a } = parseArgs({
  options: {
    dir: { type: 'string', default: '.audit-runs' },
    count: { type: 'string', default: '60' },
    first: { type: 'string', default: '0' },
    only: { type: 'string' },
  },
})
const dir = a.dir as string
type Side = { dtype: string; graph: boolean }
// `count`: MLX's float32 CPU qmm is scalar and single-threaded, so pairs
// with a float32 graph side run fewer tasks.
type Pair = {
  name: string
  node: Side
  auditor: Side
  tasksOf?: string
  count?: number
}
const f32: Side = { dtype: 'float32', graph: false }
const g = (dtype: string): Side => ({ dtype, graph: true })
const PAIRS: Pair[] = [
  { name: 'A', node: f32, auditor: f32 },
  { name: 'C', node: g('float16'), auditor: f32 },
  { name: 'D', node: g('bfloat16'), auditor: f32 },
  { name: 'E', node: f32, auditor: g('float16'), tasksOf: 'A' },
  { name: 'F', node: f32, auditor: g('bfloat16'), tasksOf: 'A' },
  { name: 'B', node: g('float32'), auditor: f32, count: 24 },
  { name: 'G', node: f32, auditor: g('float32'), tasksOf: 'A', count: 24 },
]

function run(script: string, args: string[], side: Side): void {
  const r = spawnSync(process.execPath, [script, ...args], {
    stdio: 'inherit',
    env: {
      ...process.env,
      POCKET_DEVICE: 'cpu',
      POCKET_GRAPH_PATH: side.graph ? '1' : '0',
    },
  })
  if (r.status !== 0) throw new Error(`${script} ${args.join(' ')} failed`)
}

const here = import.meta.dirname
for (const p of PAIRS) {
  if (a.only && !a.only.split(',').includes(p.name)) continue
  const tasks = join(dir, `tasks-${p.tasksOf ?? p.name}.jsonl`)
  const count = String(
    Math.min(Number(a.count), p.count ?? Number.POSITIVE_INFINITY),
  )
  if (!p.tasksOf)
    run(
      join(here, 'generate.ts'),
      [
        '--out',
        tasks,
        '--first',
        a.first as string,
        '--count',
        count,
        '--dtype',
        p.node.dtype,
      ],
      p.node,
    )
  run(
    join(here, 'verify.ts'),
    [
      '--tasks',
      tasks,
      '--out',
      join(dir, `audit-${p.name}.jsonl`),
      '--dtype',
      p.auditor.dtype,
      '--count',
      count,
    ],
    p.auditor,
  )
}
