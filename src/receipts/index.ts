// Public surface of the receipts layer: EIP-712 receipts, hashes of the
// things they bind, the on-chain output envelope, and the auditor's verdict.

export type { AuditOutputParameters } from './auditOutput.ts'
export { auditOutput } from './auditOutput.ts'
export type {
  ActivationDtype,
  AuditThresholds,
  AuditTolerance,
  BackendPair,
  KernelFamily,
  Participant,
} from './auditPolicy.ts'
export {
  ACTIVATION_DTYPES,
  AUDIT_THRESHOLDS,
  auditTolerance,
  backendPair,
  kernelFamily,
  logitTolerance,
  ulp,
  valueTolerance,
} from './auditPolicy.ts'
export type {
  AuditReceiptParameters,
  AuditReceiptReturnType,
  CommittedResult,
} from './auditReceipt.ts'
export { auditReceipt } from './auditReceipt.ts'
export type { BuildReceiptParameters } from './buildReceipt.ts'
export { buildReceipt } from './buildReceipt.ts'
export {
  commitmentHash,
  decodeCommitments,
  encodeCommitments,
} from './commitmentHash.ts'
export {
  BaseError,
  MalformedOutputError,
  ModelDigestError,
  SamplingParamsError,
} from './errors.ts'
export type { HashReceiptParameters } from './hashReceipt.ts'
export { hashReceipt } from './hashReceipt.ts'
export type { AuditVerdict, JudgeAuditParameters } from './judgeAudit.ts'
export { judgeAudit } from './judgeAudit.ts'
export type { CommitmentVerdict } from './judgeCommitments.ts'
export { judgeCommitments } from './judgeCommitments.ts'
export type { TokenSampling, TokenVerdict } from './judgeTokens.ts'
export { judgeTokens, tokenPerturbation, tokenScore } from './judgeTokens.ts'
export type {
  ModelDigestParameters,
  ModelDigestReturnType,
} from './modelDigest.ts'
export { modelDigest, modelDigestOfPath, weightFiles } from './modelDigest.ts'
export type { OutputEnvelope } from './outputEnvelope.ts'
export { decodeOutput, encodeOutput } from './outputEnvelope.ts'
export { encodeTokenIds, outputHash } from './outputHash.ts'
export type {
  SignReceiptParameters,
  SignReceiptReturnType,
} from './signReceipt.ts'
export { signReceipt } from './signReceipt.ts'
export {
  decodeInput,
  decodeSampling,
  encodeInput,
  encodeSampling,
  hashBytes,
  normalizeSampling,
} from './taskEncoding.ts'
export type { ReceiptDomainParameters } from './typedData.ts'
export {
  receiptDomain,
  receiptTypedData,
  receiptTypes,
  receiptTypesV1,
  receiptVersion,
} from './typedData.ts'
export type {
  Commitment,
  PostedTask,
  Receipt,
  TaskInput,
  TaskSampling,
} from './types.ts'
export type { VerifyReceiptSignatureParameters } from './verifyReceiptSignature.ts'
export { verifyReceiptSignature } from './verifyReceiptSignature.ts'
