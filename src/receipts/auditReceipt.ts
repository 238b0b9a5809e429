// The auditor's verdict on a committed task: decodes the output envelope,
// rebuilds the receipt from the task and the envelope, checks the committed
// hashes and the node's signature, then has the engine teacher-force prompt
// + claimed output once (prefill cost) to check every token against the
// seeded sampler and the activation commitment against its recomputation,
// under the tolerances of what the node declared (backend, activation
// dtype) and what the auditor runs (auditPolicy.ts). An output shorter than
// maxTokens must end where the sampler picks an end-of-generation token,
// which catches truncation.
import type { Address, Hex } from 'viem'
import type { AuditEvidence } from '../engine/audit.ts'
import {
  type ParsedBackend,
  parseBackendString,
} from '../engine/engineBackend.ts'
import type { Model } from '../engine/model.ts'
import { native } from '../engine/native.ts'
import {
  AUDIT_THRESHOLDS,
  type AuditThresholds,
  auditTolerance,
} from './auditPolicy.ts'
import { buildReceipt } from './buildReceipt.ts'
import { MalformedOutputError } from './errors.ts'
import { hashReceipt } from './hashReceipt.ts'
import { type AuditVerdict, judgeAudit } from './judgeAudit.ts'
import { tokenScore } from './judgeTokens.ts'
import { decodeOutput, type OutputEnvelope } from './outputEnvelope.ts'
import { decodeInput, decodeSampling } from './taskEncoding.ts'
import type { PostedTask, Receipt } from './types.ts'
import { verifyReceiptSignature } from './verifyReceiptSignature.ts'

export type CommittedResult = {
  node: Address
  receiptHash: Hex
  outputHash: Hex
  output: Hex
}

export type AuditReceiptParameters = {
  /** A loaded model whose digest is `task.modelDigest`. */
  model: Model
  task: PostedTask
  committed: CommittedResult
  chainId: number
  market: Address
  /** Override the calibrated thresholds (tests, calibration). */
  thresholds?: AuditThresholds
  /** Minimum top-k per commitment chunk a node must provide. */
  minCommitTopK?: number
}

export type AuditReceiptReturnType = {
  /** True when the node is guilty: any reason below. */
  guilty: boolean
  reasons: string[]
  receipt?: Receipt
  envelope?: OutputEnvelope
  /** The policy's verdict on the teacher-forced pass. */
  verdict?: AuditVerdict
  /** The engine's evidence it was judged on (with the end token, if any). */
  evidence?: AuditEvidence
  /**
   * Where the claim was made (the node's receipt) and where it was checked
   * (this auditor's model): kernels, MLX version and activation dtype.
   */
  backends?: { node?: ParsedBackend; auditor: ParsedBackend }
}

export async function auditReceipt(
  p: AuditReceiptParameters,
): Promise<AuditReceiptReturnType> {
  const { model, task, committed } = p
  let envelope: OutputEnvelope
  try {
    envelope = decodeOutput(committed.output)
  } catch (e) {
    const why = e instanceof MalformedOutputError ? e.shortMessage : String(e)
    return { guilty: true, reasons: [`malformed output: ${why}`] }
  }
  const sampling = decodeSampling(task.samplingParams)
  const input = decodeInput(task.input)
  const receipt = buildReceipt({ task, node: committed.node, ...envelope })
  const domain = { chainId: p.chainId, verifyingContract: p.market }
  const reasons: string[] = []
  if (hashReceipt({ ...domain, receipt }) !== committed.receiptHash)
    reasons.push('committed receipt hash does not match the envelope')
  if (receipt.outputHash !== committed.outputHash)
    reasons.push('committed output hash does not match the token ids')
  if (
    !(await verifyReceiptSignature({
      ...domain,
      receipt,
      signature: envelope.signature,
    }))
  )
    reasons.push('receipt signature does not recover to the node')
  const n = envelope.tokenIds.length
  if (n > sampling.maxTokens)
    reasons.push(`${n} output tokens exceed maxTokens ${sampling.maxTokens}`)
  if (envelope.tokenIds.some((t) => t >= model.info.vocabSize))
    reasons.push('output has token ids outside the vocabulary')
  const chunks = Math.ceil(n / 32)
  const k = envelope.commitments[0]?.indices.length ?? 0
  if (envelope.commitments.length !== chunks || k < (p.minCommitTopK ?? 8))
    reasons.push(
      `activation commitment has ${envelope.commitments.length} chunks of top-${k}, expected ${chunks} of top-${p.minCommitTopK ?? 8}+`,
    )
  if (reasons.length > 0) return { guilty: true, reasons, receipt, envelope }
  if (model.detokenize(envelope.tokenIds) !== envelope.text)
    reasons.push('output text is not the detokenized token ids')

  const promptTokens =
    'prompt' in input
      ? model.promptTokens(input.prompt, { raw: input.raw })
      : model.promptTokens(input.messages)
  const samplingOptions = {
    temperature: sampling.temperature,
    topK: sampling.topK,
    topP: sampling.topP,
    minP: sampling.minP,
    seed: Number(task.seed),
  }
  const commitments = envelope.commitments.map((c) => ({
    index: c.index,
    indices: Array.from(c.indices),
    values: Array.from(c.values),
  }))
  // v1 receipts predate the dtype field; those nodes ran float32.
  const node = {
    backend: receipt.backend,
    dtype: receipt.activationDtype ?? 'float32',
  }
  const auditor = { backend: model.info.backend, dtype: model.info.dtype }
  let tolerance: ReturnType<typeof auditTolerance>
  try {
    tolerance = auditTolerance(node, auditor)
  } catch (e) {
    reasons.push(`unverifiable receipt: ${(e as Error).message}`)
    return { guilty: true, reasons, receipt, envelope }
  }
  // Short of maxTokens, the sampler must pick an end token right after; the
  // evidence for the claimed tokens does not depend on what follows them.
  const stops = n < sampling.maxTokens ? model.tokenizer.special.eosIds : []
  let evidence: AuditEvidence | undefined
  let ends = stops.length === 0
  for (const stop of stops.length ? stops : [undefined]) {
    evidence = await model.audit({
      promptTokens,
      completionTokens:
        stop === undefined ? envelope.tokenIds : [...envelope.tokenIds, stop],
      sampling: samplingOptions,
      commitIndices: commitments.map((c) => c.index),
      commitTopK: k,
    })
    const end = evidence.checks[n]
    if (stop === undefined || !end) break
    if (
      tokenScore(end, sampling, tolerance) <=
      (p.thresholds ?? AUDIT_THRESHOLDS).maxTokenScore
    ) {
      ends = true
      break
    }
  }
  if (!evidence) return { guilty: true, reasons, receipt, envelope }
  if (!ends)
    reasons.push(
      `output stops at ${n} tokens where the model does not end (truncated)`,
    )
  const verdict = judgeAudit({
    evidence: { ...evidence, checks: evidence.checks.slice(0, n) },
    commitments,
    sampling,
    node,
    auditor,
    thresholds: p.thresholds,
  })
  reasons.push(...verdict.reasons)
  const backends = {
    node: parseBackendString(envelope.backend),
    auditor: {
      kernels: model.info.backend,
      mlxVersion: receiptMlxVersion(),
      dtype: model.info.dtype,
    },
  }
  return {
    guilty: reasons.length > 0,
    reasons,
    receipt,
    envelope,
    verdict,
    evidence,
    backends,
  }
}

function receiptMlxVersion(): string {
  try {
    return native().mlxVersion
  } catch {
    return 'unknown'
  }
}
