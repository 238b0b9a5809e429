// Token check of an audit (Token-DiFR-style): one score per claimed token,
// then a verdict from the whole output. A token's score is the smallest
// uniform perturbation of the logits (each moved by at most eps) under which
// the seeded sampler picks it, in units of the token's tolerance:
//   greedy  eps = gap / 2 (claimed logit up by eps, max down by eps);
//   sampled eps = T/2 · |logit(u) − logit(edge)|: moving every logit before
//           the token up by eps and every one after down by eps scales the
//           odds of the cumulative mass at an edge c by e^(2·eps/T), so the
//           edge reaches u when eps is that (logit(p) = ln(p / (1 − p)));
//   excluded by truncation: the largest of what it takes to enter the kept
//           set (top-p: the mass above it below top_p, same odds argument;
//           top-k: its logit up to the k-th; min-p: its gap down to
//           T·ln(1/min_p)) and the interval term in the extended set.
import type { AuditTokenCheck } from '../engine/audit.ts'
import {
  AUDIT_THRESHOLDS,
  type AuditThresholds,
  type AuditTolerance,
  logitTolerance,
} from './auditPolicy.ts'

export type TokenVerdict = {
  ok: boolean
  reasons: string[]
  /** Per token, in order of `checks`. */
  scores: number[]
  /** Tokens with score > 1. */
  outside: number
  allowedOutside: number
  /** Mean of scores capped at maxTokenScore. */
  meanScore: number
  maxScore: number
  /** Index (completion position) of the worst token. */
  worstIndex: number
}

const logit = (p: number) => Math.log(p / (1 - p))

/** The sampling parameters a token check depends on. */
export type TokenSampling = {
  temperature: number
  topK?: number
  topP?: number
  minP?: number
}

/** Perturbation per logit that makes the sampler pick the claimed token. */
export function tokenPerturbation(
  c: Omit<AuditTokenCheck, 'index' | 'token' | 'maxLogit'>,
  s: TokenSampling,
): number {
  const T = s.temperature
  if (c.exact) return 0
  if (T === 0) return Math.max(0, c.gap) / 2
  let eps = 0
  if (c.u < c.low) eps = (T / 2) * (logit(c.low) - logit(c.u))
  else if (c.u >= c.high && c.high < 1)
    eps = (T / 2) * (logit(c.u) - logit(c.high))
  if (c.candidate) return eps
  const topP = s.topP ?? 1
  const above = c.above ?? 1
  if (topP < 1 && above >= topP)
    eps = Math.max(eps, (T / 2) * (logit(above) - logit(topP)))
  if (s.minP && s.minP > 0)
    eps = Math.max(eps, (c.gap - T * Math.log(1 / s.minP)) / 2)
  if (s.topK && s.topK > 0 && c.kthLogit !== undefined)
    eps = Math.max(eps, (c.kthLogit - c.logit) / 2)
  return Number.isNaN(eps) ? Number.POSITIVE_INFINITY : eps
}

/** Score of one token: perturbation / tolerance at the row's max logit. */
export function tokenScore(
  c: AuditTokenCheck,
  s: TokenSampling,
  t: AuditTolerance,
): number {
  return tokenPerturbation(c, s) / logitTolerance(t, c.maxLogit)
}

export function judgeTokens(
  checks: AuditTokenCheck[],
  sampling: TokenSampling,
  tolerance: AuditTolerance,
  thresholds: AuditThresholds = AUDIT_THRESHOLDS,
): TokenVerdict {
  const scores = checks.map((c) => tokenScore(c, sampling, tolerance))
  const n = scores.length
  let outside = 0
  let sum = 0
  let maxScore = 0
  let worst = 0
  scores.forEach((s, i) => {
    if (s > 1) outside++
    sum += Math.min(s, thresholds.maxTokenScore)
    if (s > maxScore) {
      maxScore = s
      worst = i
    }
  })
  const allowedOutside = Math.floor(
    thresholds.maxOutsideFraction * n + thresholds.outsideAllowance,
  )
  const meanScore = n ? sum / n : 0
  const worstIndex = checks[worst]?.index ?? 0
  const reasons: string[] = []
  if (maxScore > thresholds.maxTokenScore)
    reasons.push(
      `token ${worstIndex} is ${fmt(maxScore)} tolerances from what the seeded sampler picks (max ${thresholds.maxTokenScore})`,
    )
  if (outside > allowedOutside)
    reasons.push(
      `${outside} of ${n} tokens are outside the tolerance band (at most ${allowedOutside})`,
    )
  if (meanScore > thresholds.maxMeanScore)
    reasons.push(
      `mean token score ${fmt(meanScore)} is above ${thresholds.maxMeanScore}`,
    )
  return {
    ok: reasons.length === 0,
    reasons,
    scores,
    outside,
    allowedOutside,
    meanScore,
    maxScore,
    worstIndex,
  }
}

const fmt = (x: number) =>
  Number.isFinite(x) ? x.toFixed(x < 10 ? 3 : 1) : 'infinitely many'
