// Audits one claimed output with a loaded model: the engine's teacher-forced
// evidence (model.audit) judged by the cross-backend policy (judgeAudit).
// auditReceipt does this for on-chain tasks; this is the SDK-level form.
import type { Model } from '../engine/model.ts'
import type { SamplingOptions } from '../engine/types.ts'
import type { AuditThresholds, Participant } from './auditPolicy.ts'
import { type AuditVerdict, judgeAudit } from './judgeAudit.ts'
import type { Commitment } from './types.ts'

export type AuditOutputParameters = {
  promptTokens: number[]
  completionTokens: number[]
  sampling: SamplingOptions
  /** The node's commitments (one per 32-token chunk), if any. */
  commitments?: Commitment[]
  /** What the node declared; defaults to what `model` runs. */
  node?: Participant
  thresholds?: AuditThresholds
}

export async function auditOutput(
  model: Model,
  p: AuditOutputParameters,
): Promise<AuditVerdict> {
  const commitments = (p.commitments ?? []).map((c) => ({
    index: c.index,
    indices: Array.from(c.indices),
    values: Array.from(c.values),
  }))
  const evidence = await model.audit({
    promptTokens: p.promptTokens,
    completionTokens: p.completionTokens,
    sampling: p.sampling,
    commitIndices: commitments.map((c) => c.index),
    commitTopK: commitments[0]?.indices.length ?? 0,
  })
  const auditor = { backend: model.info.backend, dtype: model.info.dtype }
  return judgeAudit({
    evidence,
    commitments,
    sampling: {
      ...p.sampling,
      temperature: p.sampling.temperature ?? 0.8, // the engine's default
    },
    node: p.node ?? auditor,
    auditor,
    thresholds: p.thresholds,
  })
}
