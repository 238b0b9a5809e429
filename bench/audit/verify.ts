// Auditor side of the cross-backend audit runs: audits every task line of
// --tasks (generate.ts) with auditReceipt on this machine's backend and
// dtype, and appends one line per task to --out: the verdict, timings and
// the raw evidence (inexact tokens, the end token, both commitment sets), so
// summarize.ts can re-judge under other thresholds or declared dtypes.
//   node bench/audit/verify.ts --tasks f.jsonl --out g.jsonl [--dtype float32]
//     [--model path.gguf] [--budget-s 500]
import { appendFileSync, existsSync, readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { engineIdentity } from '../../node/executeTask.ts'
import { loadModel } from '../../src/engine/loadModel.ts'
import type { ActivationDtype } from '../../src/engine/types.ts'
import { auditReceipt, decodeSampling } from '../../src/receipts/index.ts'
import { TEST_DOMAIN as BENCH_DOMAIN } from '../../test/helpers/commitTask.ts'
import { smollm2Path } from '../../test/helpers/models.ts'

const { values: a } = parseArgs({
  options: {
    tasks: { type: 'string' },
    out: { type: 'string' },
    dtype: { type: 'string' },
    model: { type: 'string' },
    'budget-s': { type: 'string' },
    count: { type: 'string' },
  },
})
if (!a.tasks || !a.out) throw new Error('--tasks and --out are required')
const model = await loadModel(a.model ?? smollm2Path(), {
  dtype: a.dtype as ActivationDtype | undefined,
})
const id = engineIdentity(model)
const auditor = {
  backend: model.info.backend,
  dtype: model.info.dtype,
  deviceClass: id.deviceClass,
}
const seen = new Set(
  existsSync(a.out)
    ? readFileSync(a.out, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).index as number)
    : [],
)
const deadline = a['budget-s']
  ? performance.now() + Number(a['budget-s']) * 1000
  : Number.POSITIVE_INFINITY
const lines = readFileSync(a.tasks, 'utf8')
  .split('\n')
  .filter(Boolean)
  .slice(0, a.count ? Number(a.count) : undefined)
for (const text of lines) {
  if (performance.now() > deadline) break
  const t = JSON.parse(text)
  if (seen.has(t.index)) continue
  const task = {
    ...t.task,
    taskId: BigInt(t.task.taskId),
    seed: BigInt(t.task.seed),
  }
  const sampling = decodeSampling(task.samplingParams)
  const t0 = performance.now()
  const r = await auditReceipt({
    model,
    task,
    committed: t.committed,
    chainId: BENCH_DOMAIN.chainId,
    market: BENCH_DOMAIN.verifyingContract,
  })
  const auditMs = performance.now() - t0
  const n = r.envelope?.tokenIds.length ?? 0
  const checks = r.evidence?.checks ?? []
  const line = {
    index: t.index,
    cheat: t.cheat,
    node: t.node,
    auditor,
    temperature: sampling.temperature,
    sampling,
    n,
    maxTokens: sampling.maxTokens,
    guilty: r.guilty,
    reasons: r.reasons,
    genMs: t.genMs,
    auditMs: Math.round(auditMs),
    tolerance: r.verdict?.tolerance,
    raw: {
      inexact: checks.slice(0, n).filter((c) => !c.exact),
      end: checks[n],
      claimed: r.envelope?.commitments.map((c) => ({
        index: c.index,
        indices: Array.from(c.indices),
        values: Array.from(c.values),
      })),
      recomputed: r.evidence?.commitments,
    },
  }
  appendFileSync(a.out, `${JSON.stringify(line)}\n`)
  console.log(
    `task ${t.index} (${t.cheat}, node ${t.node.backend} ${t.node.activationDtype}): ${r.guilty ? `GUILTY ${r.reasons.join('; ')}` : 'ok'} (${n} tokens, audit ${(auditMs / 1000).toFixed(1)} s)`,
  )
}
await model.dispose()
