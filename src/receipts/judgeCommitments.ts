// Commitment check of an audit (TOPLOC-style): the auditor recomputes the
// top-k of the final hidden state at each committed chunk end; claimed and
// recomputed index sets must overlap, and on shared indices the claimed
// value must be within the value tolerance (ulps of the coarser dtype at the
// value's size + the backend pair's floor). Judged over all chunks: mean and
// worst-chunk overlap, the share of values outside tolerance and the median
// value error (TOPLOC's mantissa-error median, in tolerances).
import {
  AUDIT_THRESHOLDS,
  type AuditThresholds,
  type AuditTolerance,
  valueTolerance,
} from './auditPolicy.ts'
import type { Commitment } from './types.ts'

export type CommitmentVerdict = {
  ok: boolean
  reasons: string[]
  chunks: number
  meanOverlap: number
  minOverlap: number
  /** Matched values and how many were outside their tolerance. */
  matched: number
  outside: number
  /** Median and max of |claimed - recomputed| / tolerance over matched values. */
  medianScore: number
  maxScore: number
}

export function judgeCommitments(
  claimed: Commitment[],
  recomputed: Commitment[],
  tolerance: AuditTolerance,
  thresholds: AuditThresholds = AUDIT_THRESHOLDS,
): CommitmentVerdict {
  const scores: number[] = []
  let sumOverlap = 0
  let minOverlap = 1
  claimed.forEach((c, i) => {
    const mine = recomputed[i]
    const k = c.indices.length
    if (!mine || mine.index !== c.index || k === 0) {
      minOverlap = 0
      return
    }
    const at = new Map<number, number>()
    for (let j = 0; j < mine.indices.length; j++)
      at.set(mine.indices[j] as number, mine.values[j] as number)
    let shared = 0
    for (let j = 0; j < k; j++) {
      const v = at.get(c.indices[j] as number)
      if (v === undefined) continue
      shared++
      const claimedValue = c.values[j] as number
      scores.push(
        Math.abs(claimedValue - v) / valueTolerance(tolerance, claimedValue),
      )
    }
    sumOverlap += shared / k
    minOverlap = Math.min(minOverlap, shared / k)
  })
  const chunks = claimed.length
  const meanOverlap = chunks ? sumOverlap / chunks : 1
  if (!chunks) minOverlap = 1
  const sorted = scores.toSorted((a, b) => a - b)
  const medianScore = sorted.length
    ? (sorted[(sorted.length - 1) >> 1] as number)
    : 0
  const maxScore = sorted.at(-1) ?? 0
  const outside = scores.filter((s) => !(s <= 1)).length
  const reasons: string[] = []
  if (chunks && meanOverlap < thresholds.minMeanOverlap)
    reasons.push(
      `activation commitments overlap ${meanOverlap.toFixed(3)} on average (min ${thresholds.minMeanOverlap})`,
    )
  if (chunks && minOverlap < thresholds.minChunkOverlap)
    reasons.push(
      `an activation commitment chunk overlaps only ${minOverlap.toFixed(3)} (min ${thresholds.minChunkOverlap})`,
    )
  if (
    scores.length &&
    outside > thresholds.maxValueOutsideFraction * scores.length
  )
    reasons.push(
      `${outside} of ${scores.length} commitment values are outside tolerance (at most ${(thresholds.maxValueOutsideFraction * 100).toFixed(0)}%)`,
    )
  if (medianScore > thresholds.maxMedianValueScore)
    reasons.push(
      `median commitment value error is ${medianScore.toFixed(3)} tolerances (max ${thresholds.maxMedianValueScore})`,
    )
  return {
    ok: reasons.length === 0,
    reasons,
    chunks,
    meanOverlap,
    minOverlap,
    matched: scores.length,
    outside,
    medianScore,
    maxScore,
  }
}
