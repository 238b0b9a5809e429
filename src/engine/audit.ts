// Audit of a claimed completion at prefill cost (DESIGN §4): the native
// engine re-derives each token with the seeded sampler from teacher-forced
// logits and recomputes the activation commitment; this file applies the
// documented tolerances and explains any failure.
import type { Model } from './model.ts'
import type { NativeAudit } from './native.ts'
import { toEngineError } from './toEngineError.ts'
import { toNativeRequest } from './toNativeRequest.ts'
import type { Commitment, SamplingOptions } from './types.ts'

/**
 * Tolerances. Greedy: the claimed token's logit may trail the max by
 * `greedyLogit`. Sampled: the seeded uniform may miss the token's probability
 * interval by `interval`. Commitment: at least `commitOverlap` of the claimed
 * top-k indices must reappear, and matched values may differ by at most
 * `commitValue` (absolute). Same machine reproduces exactly; the bands absorb
 * the different summation order of prefill (M > 1) vs decode (M = 1) kernels.
 */
export type AuditTolerances = {
  greedyLogit: number
  interval: number
  commitOverlap: number
  commitValue: number
}

export const defaultAuditTolerances: AuditTolerances = {
  greedyLogit: 0.05,
  interval: 1e-3,
  commitOverlap: 0.75,
  commitValue: 0.05,
}

export type AuditParameters = {
  promptTokens: number[]
  completionTokens: number[]
  sampling: SamplingOptions
  commitments?: {
    index: number
    indices: ArrayLike<number>
    values: ArrayLike<number>
  }[]
  tolerances?: Partial<AuditTolerances>
}

export type AuditReport = {
  ok: boolean
  reasons: string[]
  tokensChecked: number
  tokenFailures: {
    index: number
    token: number
    gap: number
    u: number
    low: number
    high: number
  }[]
  commitmentsChecked: number
  minCommitOverlap: number
  maxCommitValueError: number
}

export async function auditCompletion(
  model: Model,
  p: AuditParameters,
): Promise<AuditReport> {
  const tol = { ...defaultAuditTolerances, ...p.tolerances }
  const claimed: Commitment[] = (p.commitments ?? []).map((c) => ({
    index: c.index,
    indices: Array.from(c.indices),
    values: Array.from(c.values),
  }))
  const k = claimed[0]?.indices.length ?? 0
  const { tokens: _, ...sampling } = toNativeRequest(
    [],
    { ...p.sampling, maxTokens: 1 },
    [],
  )
  let native: NativeAudit
  try {
    native = await model.native.audit({
      ...sampling,
      promptTokens: Int32Array.from(p.promptTokens),
      completionTokens: Int32Array.from(p.completionTokens),
      commitIndices: claimed.map((c) => c.index),
      commitTopK: k,
      greedyTolerance: tol.greedyLogit,
      intervalTolerance: tol.interval,
    })
  } catch (e) {
    throw toEngineError(e, model.info.path)
  }
  const reasons: string[] = []
  const tokenFailures = native.checks
    .filter((c) => !c.ok)
    .map(({ index, token, gap, u, low, high }) => ({
      index,
      token,
      gap,
      u,
      low,
      high,
    }))
  if (tokenFailures.length > 0) {
    const f = tokenFailures[0] as AuditReport['tokenFailures'][number]
    reasons.push(
      `${tokenFailures.length} of ${native.checks.length} tokens are not what the seeded sampler picks (first at index ${f.index}: token ${f.token})`,
    )
  }
  let minOverlap = 1
  let maxValueError = 0
  claimed.forEach((c, i) => {
    const mine = native.commitments[i]
    if (!mine || mine.index !== c.index) {
      minOverlap = 0
      return
    }
    const recomputed = new Map<number, number>()
    mine.indices.forEach((idx, j) => {
      recomputed.set(idx, mine.values[j] as number)
    })
    let matched = 0
    c.indices.forEach((idx, j) => {
      const v = recomputed.get(idx)
      if (v === undefined) return
      matched++
      maxValueError = Math.max(
        maxValueError,
        Math.abs(v - (c.values[j] as number)),
      )
    })
    minOverlap = Math.min(
      minOverlap,
      c.indices.length ? matched / c.indices.length : 0,
    )
  })
  if (claimed.length > 0 && minOverlap < tol.commitOverlap)
    reasons.push(
      `activation commitment overlap ${minOverlap.toFixed(2)} is below ${tol.commitOverlap}`,
    )
  if (claimed.length > 0 && maxValueError > tol.commitValue)
    reasons.push(
      `activation commitment values differ by up to ${maxValueError.toFixed(4)} (> ${tol.commitValue})`,
    )
  return {
    ok: reasons.length === 0,
    reasons,
    tokensChecked: native.checks.length,
    tokenFailures,
    commitmentsChecked: claimed.length,
    minCommitOverlap: claimed.length ? minOverlap : 1,
    maxCommitValueError: maxValueError,
  }
}
