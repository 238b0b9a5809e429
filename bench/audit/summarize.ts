// Turns verify.ts lines into the calibration and cheat-detection tables:
// honest pairs (false positives, how close the worst honest output came to
// each threshold, per-token drift in logits and in ulps of the coarser
// dtype, commitment drift, audit time / generation time) and cheats
// (detection rate as run and if the cheater had declared a GPU in float16 or
// bfloat16, which check caught it, detection by output prefix length).
//   node bench/audit/summarize.ts --out bench/results/x.json run1.jsonl ...
import { readFileSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import {
  AUDIT_THRESHOLDS,
  DTYPE_ULPS,
  kernelFamily,
  PAIR_TERMS,
} from '../../src/receipts/auditPolicy.ts'
import {
  declaredNode,
  judgePooled,
  rejudge,
  type VerifyLine,
} from './rejudge.ts'

const { values: a, positionals } = parseArgs({
  options: { out: { type: 'string' }, title: { type: 'string' } },
  allowPositionals: true,
})
const lines: VerifyLine[] = positionals.flatMap((f) =>
  readFileSync(f, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l)),
)
const q = (xs: number[], p: number) => {
  if (!xs.length) return 0
  const s = xs.toSorted((x, y) => x - y)
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] as number
}
const max = (xs: number[]) => xs.reduce((m, x) => Math.max(m, x), 0)
const min = (xs: number[]) => xs.reduce((m, x) => Math.min(m, x), 1)
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / (xs.length || 1)
const r3 = (x: number) => (Number.isFinite(x) ? +x.toPrecision(3) : x)
const side = (backend: string, dtype: string) =>
  `${kernelFamily(backend) === 'gpu' ? backend.replace(/^mlx-/, '').split('/')[0] : kernelFamily(backend)}/${dtype}`
const pairOf = (l: VerifyLine) => {
  const node = declaredNode(l)
  return `${side(l.node.modelBackend ?? node.backend, node.dtype)} -> ${side(l.auditor.backend, l.auditor.dtype)}`
}
const group = (ls: VerifyLine[], key: (l: VerifyLine) => string) => {
  const m = new Map<string, VerifyLine[]>()
  for (const l of ls) m.set(key(l), [...(m.get(key(l)) ?? []), l])
  return m
}

const T = AUDIT_THRESHOLDS
const honest = [
  ...group(
    lines.filter((l) => l.cheat === 'none'),
    pairOf,
  ),
].map(([pair, ls]) => {
  const j = ls.map((l) => rejudge(l))
  const tokens = ls.reduce((s, l) => s + l.n, 0)
  const fp = ls.filter((_, i) => !j[i]?.ok)
  return {
    pair,
    tolerancePair: j[0]?.tolerance.pair,
    dtype: j[0]?.tolerance.dtype,
    tasks: ls.length,
    sampledTasks: ls.filter((l) => l.temperature > 0).length,
    tokens,
    falsePositives: fp.length,
    falsePositiveReasons: fp.map((l) => ({
      index: l.index,
      reasons: rejudgeReasons(l),
    })),
    inexactTokenShare: r3(j.reduce((s, x) => s + x.eps.length, 0) / tokens),
    epsLogits: {
      max: r3(max(j.flatMap((x) => x.eps))),
      p99: r3(
        q(
          j.flatMap((x) => x.eps),
          0.99,
        ),
      ),
    },
    epsUlps: {
      max: r3(max(j.flatMap((x) => x.epsUlps))),
      p99: r3(
        q(
          j.flatMap((x) => x.epsUlps),
          0.99,
        ),
      ),
    },
    worstOfThreshold: {
      tokenScore: r3(max(j.map((x) => x.maxScore)) / T.maxTokenScore),
      outside: r3(max(j.map((x) => x.outside / Math.max(1, x.allowedOutside)))),
      meanScore: r3(max(j.map((x) => x.meanScore)) / T.maxMeanScore),
      meanOverlap: r3(min(j.map((x) => x.meanOverlap))),
      minChunkOverlap: r3(min(j.map((x) => x.minOverlap))),
      valueOutsideShare: r3(
        max(j.map((x) => x.valueOutsideShare)) / T.maxValueOutsideFraction,
      ),
      medianValueScore: r3(
        max(j.map((x) => x.medianValueScore)) / T.maxMedianValueScore,
      ),
    },
    maxTokenScore: r3(max(j.map((x) => x.maxScore))),
    maxValueScore: r3(max(j.map((x) => x.maxValueScore))),
    valueErrUlps: {
      max: r3(max(j.flatMap((x) => x.valueErrUlps))),
      p99: r3(
        q(
          j.flatMap((x) => x.valueErrUlps),
          0.99,
        ),
      ),
    },
    auditOverGeneration: r3(mean(ls.map((l) => l.auditMs / l.genMs))),
    pooledAllTasks: judgePooled(ls).ok ? 'passed' : 'FLAGGED',
  }
})

function rejudgeReasons(l: VerifyLine) {
  const x = rejudge(l)
  return {
    tokensOk: x.tokensOk,
    commitmentsOk: x.commitmentsOk,
    endOk: x.endOk,
    maxScore: r3(x.maxScore),
    outside: x.outside,
    meanScore: r3(x.meanScore),
    meanOverlap: r3(x.meanOverlap),
    medianValueScore: r3(x.medianValueScore),
  }
}

// A cheater declares whatever gets the widest band: a GPU in half precision.
const DECLARED = {
  'as run (cpu float32)': undefined,
  'declared cuda float16': {
    backend: 'mlx-cuda/0.32.4/float16',
    dtype: 'float16',
  },
  'declared cuda bfloat16': {
    backend: 'mlx-cuda/0.32.4/bfloat16',
    dtype: 'bfloat16',
  },
}
const PREFIXES = [16, 32, 64, 128, 256]
const POOLS = [1, 2, 4, 8, 16, 32, 64]
const cheats = [
  ...group(
    lines.filter((l) => l.cheat !== 'none'),
    (l) => `${l.cheat} -> ${side(l.auditor.backend, l.auditor.dtype)}`,
  ),
].map(([cheat, ls]) => ({
  cheat,
  tasks: ls.length,
  tokens: ls.reduce((s, l) => s + l.n, 0),
  detection: Object.fromEntries(
    Object.entries(DECLARED).map(([name, node]) => {
      const j = ls.map((l) => rejudge(l, { node }))
      const rate = (f: (x: (typeof j)[number]) => boolean) =>
        r3(j.filter(f).length / j.length)
      return [
        name,
        {
          rate: rate((x) => !x.ok),
          byTokens: rate((x) => !x.tokensOk),
          byCommitments: rate((x) => !x.commitmentsOk),
          byEnd: rate((x) => !x.endOk),
          // An auditor pooling a node's first k tasks (tokens in brackets).
          pooled: Object.fromEntries(
            POOLS.filter((k) => k <= ls.length).map((k) => {
              const p = judgePooled(ls.slice(0, k), { node })
              return [k, `${p.ok ? 'passed' : 'caught'} (${p.tokens})`]
            }),
          ),
          byPrefix: Object.fromEntries(
            PREFIXES.map((L) => {
              const long = ls.filter((l) => l.n >= L)
              const caught = long.filter(
                (l) => !rejudge(l, { node, prefix: L }).ok,
              )
              return [L, long.length ? `${caught.length}/${long.length}` : '-']
            }),
          ),
        },
      ]
    }),
  ),
}))

const result = {
  title: a.title ?? 'cross-backend audit',
  date: new Date().toISOString().slice(0, 10),
  model: 'SmolLM2-135M-Instruct Q4_1',
  policy: { PAIR_TERMS, DTYPE_ULPS, AUDIT_THRESHOLDS },
  thresholdRule:
    'Fixed from the honest CPU pairs before the cheat set was measured: each threshold about 4-8x the worst honest value of its statistic (honest[].worstOfThreshold is that value as a share of the threshold), and at least twice what the H200 drift of issue 14 predicts for a GPU node.',
  honest,
  cheats,
}
console.table(
  honest.map((h) => ({
    pair: h.pair,
    tasks: h.tasks,
    tokens: h.tokens,
    FP: h.falsePositives,
    inexact: h.inexactTokenShare,
    epsMax: h.epsLogits.max,
    epsUlpsP99: h.epsUlps.p99,
    worstScore: h.worstOfThreshold.tokenScore,
    worstOutside: h.worstOfThreshold.outside,
    worstMean: h.worstOfThreshold.meanScore,
    minOverlap: h.worstOfThreshold.minChunkOverlap,
    medVal: h.worstOfThreshold.medianValueScore,
    valOut: h.worstOfThreshold.valueOutsideShare,
    audit: h.auditOverGeneration,
  })),
)
for (const c of cheats)
  console.table(
    Object.entries(c.detection).map(([k, d]) => ({
      cheat: c.cheat,
      tasks: c.tasks,
      declared: k,
      rate: d.rate,
      tokens: d.byTokens,
      commitments: d.byCommitments,
      end: d.byEnd,
      ...d.byPrefix,
    })),
  )
if (a.out) writeFileSync(a.out, `${JSON.stringify(result, null, 2)}\n`)
