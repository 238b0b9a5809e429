// The verdict on one audited output: token check and commitment check under
// the tolerances of the declared (node backend, auditor backend, dtype)
// (auditPolicy.ts). Pure: the evidence comes from `model.audit`.
import type { AuditEvidence } from '../engine/audit.ts'
import {
  AUDIT_THRESHOLDS,
  type AuditThresholds,
  type AuditTolerance,
  auditTolerance,
  type Participant,
} from './auditPolicy.ts'
import { type CommitmentVerdict, judgeCommitments } from './judgeCommitments.ts'
import {
  judgeTokens,
  type TokenSampling,
  type TokenVerdict,
} from './judgeTokens.ts'
import type { Commitment } from './types.ts'

export type JudgeAuditParameters = {
  evidence: AuditEvidence
  /** The node's claimed commitments (evidence.commitments recomputes them). */
  commitments: Commitment[]
  sampling: TokenSampling
  /** What the node declared (receipt backend + activation dtype). */
  node: Participant
  /** What the auditor ran (model info backend + dtype). */
  auditor: Participant
  thresholds?: AuditThresholds
}

export type AuditVerdict = {
  ok: boolean
  reasons: string[]
  tolerance?: AuditTolerance
  tokens?: TokenVerdict
  commitments?: CommitmentVerdict
}

export function judgeAudit(p: JudgeAuditParameters): AuditVerdict {
  let tolerance: AuditTolerance
  try {
    tolerance = auditTolerance(p.node, p.auditor)
  } catch (e) {
    return { ok: false, reasons: [(e as Error).message] }
  }
  const thresholds = p.thresholds ?? AUDIT_THRESHOLDS
  const tokens = judgeTokens(
    p.evidence.checks,
    p.sampling,
    tolerance,
    thresholds,
  )
  const commitments = judgeCommitments(
    p.commitments,
    p.evidence.commitments,
    tolerance,
    thresholds,
  )
  const reasons = [...tokens.reasons, ...commitments.reasons]
  return { ok: reasons.length === 0, reasons, tolerance, tokens, commitments }
}
