// The auditor's verdict on a committed task: decodes the output envelope,
// rebuilds the receipt from the task and the envelope, checks the committed
// hashes and the node's signature, then has the engine teacher-force prompt
// + claimed output once (prefill cost) to check every token against the
// seeded sampler and the activation commitment against its recomputation.
// An output shorter than maxTokens must end where the sampler picks an
// end-of-generation token, which catches truncation.
import type { Address, Hex } from 'viem'
import type { AuditReport, AuditTolerances } from '../engine/audit.ts'
import {
  type ParsedBackend,
  parseBackendString,
} from '../engine/engineBackend.ts'
import type { Model } from '../engine/model.ts'
import { native } from '../engine/native.ts'
import { buildReceipt } from './buildReceipt.ts'
import { MalformedOutputError } from './errors.ts'
import { hashReceipt } from './hashReceipt.ts'
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
  tolerances?: Partial<AuditTolerances>
  /** Minimum top-k per commitment chunk a node must provide. */
  minCommitTopK?: number
}

export type AuditReceiptReturnType = {
  /** True when the node is guilty: any reason below. */
  guilty: boolean
  reasons: string[]
  receipt?: Receipt
  envelope?: OutputEnvelope
  report?: AuditReport
  /**
   * Where the claim was made (the node's receipt) and where it was checked
   * (this auditor's model): kernels, MLX version and activation dtype, for
   * tolerances that depend on the pair.
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
  // Short of maxTokens, the sampler must pick an end token right after.
  const stops = n < sampling.maxTokens ? model.tokenizer.special.eosIds : [-1]
  let report: AuditReport | undefined
  for (const stop of stops) {
    report = await model.audit({
      promptTokens,
      completionTokens:
        stop < 0 ? envelope.tokenIds : [...envelope.tokenIds, stop],
      sampling: samplingOptions,
      commitments,
      tolerances: p.tolerances,
    })
    if (!report.tokenFailures.some((f) => f.index === n)) break
  }
  if (report) {
    const early = report.tokenFailures.filter((f) => f.index < n)
    if (early.length > 0)
      reasons.push(
        `${early.length} of ${n} tokens are not what the seeded sampler picks (first at ${early[0]?.index})`,
      )
    if (report.tokenFailures.some((f) => f.index === n))
      reasons.push(
        `output stops at ${n} tokens where the model does not end (truncated)`,
      )
    for (const r of report.reasons)
      if (!r.includes('seeded sampler')) reasons.push(r)
  }
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
    report,
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
