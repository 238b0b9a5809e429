// Token check of an audit (Token-DiFR-style): one score per claimed token,
// then a verdict from the whole output. A token's score is the smallest
// uniform perturbation of the logits (each moved by at most eps) under which
// the seeded sampler picks it, in units of the token's tolerance:
//   greedy  eps = gap / 2 (claimed logit up by eps, max down by eps);
//   sampled eps = T/2 · |logit(u) − logit(edge)|: moving every logit before
//           the token up by eps and every one after down by eps scales the
//           odds of the cumulative mass at an edge c by e^(2·eps/T), so the
//           edge reaches u when eps is that (logit(p) = ln(p / (1 − p))).
// A token the auditor's sampler excludes (top-k/top-p/min-p) scores Infinity.
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

/** Perturbation per logit that makes the sampler pick the claimed token. */
export function tokenPerturbation(
  c: Pick<AuditTokenCheck, 'gap' | 'u' | 'low' | 'high' | 'exact'>,
  temperature: number,
): number {
  if (c.exact) return 0
  if (temperature === 0) return Math.max(0, c.gap) / 2
  if (!(c.high > c.low)) return Number.POSITIVE_INFINITY // not a candidate
  if (c.u < c.low) return (temperature / 2) * (logit(c.low) - logit(c.u))
  if (c.u >= c.high)
    return c.high >= 1 ? 0 : (temperature / 2) * (logit(c.u) - logit(c.high))
  return 0
}

/** Score of one token: perturbation / tolerance at the row's max logit. */
export function tokenScore(
  c: AuditTokenCheck,
  temperature: number,
  t: AuditTolerance,
): number {
  return tokenPerturbation(c, temperature) / logitTolerance(t, c.maxLogit)
}

export function judgeTokens(
  checks: AuditTokenCheck[],
  temperature: number,
  tolerance: AuditTolerance,
  thresholds: AuditThresholds = AUDIT_THRESHOLDS,
): TokenVerdict {
  const scores = checks.map((c) => tokenScore(c, temperature, tolerance))
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
