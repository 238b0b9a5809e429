// Re-judges one verify.ts line from its raw evidence under any declared node
// (backend, dtype), thresholds and output prefix, with the same policy code
// the auditor runs (judgeTokens, judgeCommitments). Used by summarize.ts for
// calibration statistics, cheat detection per declared dtype, and the number
// of tokens a cheat needs to be caught.
import type { AuditTokenCheck } from '../../src/engine/audit.ts'
import {
  AUDIT_THRESHOLDS,
  type AuditThresholds,
  type AuditTolerance,
  auditTolerance,
  type Commitment,
  judgeCommitments,
  judgeTokens,
  type Participant,
  type TokenSampling,
  tokenPerturbation,
  tokenScore,
  ulp,
} from '../../src/receipts/index.ts'
import { taskSpec } from './taskSpecs.ts'

export type VerifyLine = {
  index: number
  cheat: string
  node: { backend: string; activationDtype?: string; modelBackend?: string }
  auditor: { backend: string; dtype: string; deviceClass: string }
  temperature: number
  sampling?: TokenSampling & { maxTokens: number }
  n: number
  maxTokens: number
  guilty: boolean
  reasons: string[]
  genMs: number
  auditMs: number
  raw: {
    inexact: AuditTokenCheck[]
    end?: AuditTokenCheck
    claimed?: Commitment[]
    recomputed?: Commitment[]
  }
}

export function samplingOf(l: VerifyLine): TokenSampling {
  if (l.sampling) return l.sampling
  const spec = taskSpec(l.index)
  const topP = Number(
    JSON.parse(Buffer.from(spec.task.samplingParams.slice(2), 'hex').toString())
      .topP,
  )
  return { temperature: l.temperature, topP }
}

export const declaredNode = (l: VerifyLine): Participant => ({
  backend: l.node.backend,
  dtype: l.node.activationDtype ?? 'float32',
})

export type Rejudged = {
  ok: boolean
  tokensOk: boolean
  commitmentsOk: boolean
  endOk: boolean
  tolerance: AuditTolerance
  scores: number[]
  /** Inexact tokens: perturbation in logits, and in ulps of the coarser dtype at maxLogit. */
  eps: number[]
  epsUlps: number[]
  outside: number
  allowedOutside: number
  meanScore: number
  maxScore: number
  meanOverlap: number
  minOverlap: number
  valueOutsideShare: number
  medianValueScore: number
  maxValueScore: number
  valueErrUlps: number[]
}

export function rejudge(
  l: VerifyLine,
  o: {
    node?: Participant
    prefix?: number
    thresholds?: AuditThresholds
  } = {},
): Rejudged {
  const thresholds = o.thresholds ?? AUDIT_THRESHOLDS
  const auditor = { backend: l.auditor.backend, dtype: l.auditor.dtype }
  const tolerance = auditTolerance(o.node ?? declaredNode(l), auditor)
  const n = Math.min(l.n, o.prefix ?? l.n)
  const sampling = samplingOf(l)
  const inexact = l.raw.inexact.filter((c) => c.index < n)
  const exact = { maxLogit: 0, exact: true } as AuditTokenCheck
  const checks = [
    ...inexact,
    ...Array.from({ length: n - inexact.length }, () => exact),
  ]
  const tv = judgeTokens(checks, sampling, tolerance, thresholds)
  const claimed = (l.raw.claimed ?? []).filter((c) => c.index < n)
  const recomputed = (l.raw.recomputed ?? []).filter((c) => c.index < n)
  const cv = judgeCommitments(claimed, recomputed, tolerance, thresholds)
  // The end check applies to whole outputs only.
  const endOk =
    o.prefix !== undefined && o.prefix < l.n
      ? true
      : !l.raw.end ||
        tokenScore(l.raw.end, sampling, tolerance) <= thresholds.maxTokenScore
  const valueErrUlps: number[] = []
  claimed.forEach((c, i) => {
    const mine = recomputed[i]
    if (!mine) return
    const at = new Map(
      Array.from(mine.indices, (x, j) => [x, mine.values[j] as number]),
    )
    Array.from(c.indices).forEach((x, j) => {
      const v = at.get(x)
      const cl = c.values[j] as number
      if (v !== undefined)
        valueErrUlps.push(Math.abs(v - cl) / ulp(cl, tolerance.dtype))
    })
  })
  return {
    ok: tv.ok && cv.ok && endOk,
    tokensOk: tv.ok,
    commitmentsOk: cv.ok,
    endOk,
    tolerance,
    scores: tv.scores.filter((s) => s > 0),
    eps: inexact.map((c) => tokenPerturbation(c, sampling)),
    epsUlps: inexact.map(
      (c) => tokenPerturbation(c, sampling) / ulp(c.maxLogit, tolerance.dtype),
    ),
    outside: tv.outside,
    allowedOutside: tv.allowedOutside,
    meanScore: tv.meanScore,
    maxScore: tv.maxScore,
    meanOverlap: cv.meanOverlap,
    minOverlap: cv.minOverlap,
    valueOutsideShare: cv.matched ? cv.outside / cv.matched : 0,
    medianValueScore: cv.medianScore,
    maxValueScore: cv.maxScore,
    valueErrUlps,
  }
}

/**
 * An auditor that tracks one node over several tasks: the verdict on the
 * pooled evidence of `lines` (token scores and commitment sets
 * concatenated, each task judged under its own sampling), same thresholds.
 */
export function judgePooled(
  lines: VerifyLine[],
  o: { node?: Participant; thresholds?: AuditThresholds } = {},
): { ok: boolean; tokens: number } {
  const thresholds = o.thresholds ?? AUDIT_THRESHOLDS
  const scores: number[] = []
  const claimed: Commitment[] = []
  const recomputed: Commitment[] = []
  let tolerance: AuditTolerance | undefined
  for (const l of lines) {
    const auditor = { backend: l.auditor.backend, dtype: l.auditor.dtype }
    tolerance = auditTolerance(o.node ?? declaredNode(l), auditor)
    const exact = { maxLogit: 0, exact: true } as AuditTokenCheck
    const checks = [
      ...l.raw.inexact,
      ...Array.from({ length: l.n - l.raw.inexact.length }, () => exact),
    ]
    scores.push(
      ...judgeTokens(checks, samplingOf(l), tolerance, thresholds).scores,
    )
    claimed.push(...(l.raw.claimed ?? []))
    recomputed.push(...(l.raw.recomputed ?? []))
  }
  if (!tolerance) return { ok: true, tokens: 0 }
  const n = scores.length
  const outside = scores.filter((s) => s > 1).length
  const mean =
    scores.reduce((a, s) => a + Math.min(s, thresholds.maxTokenScore), 0) / n
  const tokensOk =
    Math.max(0, ...scores) <= thresholds.maxTokenScore &&
    outside <=
      Math.floor(
        thresholds.maxOutsideFraction * n + thresholds.outsideAllowance,
      ) &&
    mean <= thresholds.maxMeanScore
  const cv = judgeCommitments(claimed, recomputed, tolerance, thresholds)
  return { ok: tokensOk && cv.ok, tokens: n }
}
