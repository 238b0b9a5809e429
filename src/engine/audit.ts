// Audit of a claimed completion at prefill cost (DESIGN §4): the native
// engine teacher-forces prompt + claimed completion once and, for every
// claimed token, reports what the seeded sampler saw there (max logit, the
// token's logit, the uniform and the token's probability interval), and
// recomputes the activation commitments. This is evidence only: how far it
// may be from exact depends on the node's and the auditor's backend and
// dtype, which the receipts layer judges (src/receipts/auditPolicy.ts).
import type { Model } from './model.ts'
import type { NativeAudit } from './native.ts'
import { toEngineError } from './toEngineError.ts'
import { toNativeRequest } from './toNativeRequest.ts'
import type { Commitment, SamplingOptions } from './types.ts'

export type AuditParameters = {
  promptTokens: number[]
  completionTokens: number[]
  sampling: SamplingOptions
  /** Completion indices to recompute commitments at (chunk ends). */
  commitIndices?: number[]
  /** Top-k of each recomputed commitment (the claim's k). */
  commitTopK?: number
}

/** What the auditor's own forward pass says about one claimed token. */
export type AuditTokenCheck = {
  index: number
  token: number
  /** Processed logits (penalties applied): the row's max and the token's. */
  maxLogit: number
  logit: number
  /** maxLogit - logit. */
  gap: number
  /** Sampled only: the seeded uniform and the token's interval [low, high). */
  u: number
  low: number
  high: number
  /**
   * Sampled only: false when top-k/top-p/min-p excluded the token; then
   * [low, high) is its interval in the kept set extended down to it, `above`
   * the full softmax mass ranked above it and `kthLogit` the top-k cutoff.
   */
  candidate: boolean
  above?: number
  kthLogit?: number
  /** Exact: the auditor's own sampler picks this token. */
  exact: boolean
}

export type AuditEvidence = {
  checks: AuditTokenCheck[]
  /** Recomputed at `commitIndices`, in that order. */
  commitments: Commitment[]
}

export async function auditCompletion(
  model: Model,
  p: AuditParameters,
): Promise<AuditEvidence> {
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
      commitIndices: p.commitIndices ?? [],
      commitTopK: p.commitTopK ?? 0,
      // exact = what the engine's own sampler does, no band
      greedyTolerance: 0,
      intervalTolerance: 0,
    })
  } catch (e) {
    throw toEngineError(e, model.info.path)
  }
  return {
    checks: native.checks.map((c) => ({
      index: c.index,
      token: c.token,
      maxLogit: c.maxLogit,
      logit: c.logit,
      gap: c.gap,
      u: c.u,
      low: c.low,
      high: c.high,
      candidate: c.candidate,
      ...(c.candidate ? {} : { above: c.above, kthLogit: c.kthLogit }),
      exact: c.ok,
    })),
    commitments: native.commitments.map((c) => ({
      index: c.index,
      indices: Array.from(c.indices),
      values: Array.from(c.values),
    })),
  }
}
