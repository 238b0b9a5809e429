// Builds the receipt of a finished task from the task as posted, the
// generation's token ids and commitments, and where it ran.
import type { Address } from 'viem'
import { commitmentHash } from './commitmentHash.ts'
import { outputHash } from './outputHash.ts'
import { hashBytes } from './taskEncoding.ts'
import type { Commitment, PostedTask, Receipt } from './types.ts'

export type BuildReceiptParameters = {
  task: PostedTask
  node: Address
  tokenIds: number[]
  commitments: Commitment[]
  engine: string
  backend: string
  deviceClass: string
  /** Omitted only when rebuilding a v1 receipt (a PKR1 envelope). */
  activationDtype?: string
}

export function buildReceipt(p: BuildReceiptParameters): Receipt {
  return {
    taskId: p.task.taskId,
    node: p.node,
    modelDigest: p.task.modelDigest,
    inputHash: p.task.inputHash,
    samplingHash: hashBytes(p.task.samplingParams),
    seed: p.task.seed,
    outputHash: outputHash(p.tokenIds),
    outputTokens: p.tokenIds.length,
    commitmentHash: commitmentHash(p.commitments),
    engine: p.engine,
    backend: p.backend,
    deviceClass: p.deviceClass,
    ...(p.activationDtype === undefined
      ? {}
      : { activationDtype: p.activationDtype }),
  }
}
