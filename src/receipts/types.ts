// Types shared by the receipts layer: the signed receipt, the engine's
// activation commitments, and the task fields an auditor checks against.
import type { Address, Hex } from 'viem'

/** One activation commitment: top-k of the final hidden state of a chunk. */
export type Commitment = {
  /** Completion index of the chunk's last token (chunk = index >> 5). */
  index: number
  indices: ArrayLike<number>
  values: ArrayLike<number>
}

/**
 * What a node signs (EIP-712 `Receipt`). Everything a verifier needs to
 * re-derive the output is bound: model, input, sampling and seed, output
 * token ids, activation commitment, where it ran and in which dtype.
 */
export type Receipt = {
  taskId: bigint
  node: Address
  /** sha256 over the canonical manifest of the weight files. */
  modelDigest: Hex
  /** keccak256 of the task input bytes. */
  inputHash: Hex
  /** keccak256 of the canonical sampling parameters bytes. */
  samplingHash: Hex
  seed: bigint
  /** keccak256 of the output token ids (uint32 big-endian, packed). */
  outputHash: Hex
  outputTokens: number
  /** keccak256 of the canonical commitment encoding. */
  commitmentHash: Hex
  /** Engine name and version, e.g. `pocket/0.1.0`. */
  engine: string
  /** Compute backend, e.g. `mlx-cpu`, `mlx-metal`. */
  backend: string
  /** Device class, e.g. `linux-x64` or `linux-x64-cuda-NVIDIA H200`. */
  deviceClass: string
  /**
   * Activation dtype the node ran in: `float32`, `float16` or `bfloat16`.
   * The audit's tolerances depend on it (auditPolicy.ts). Absent only in v1
   * receipts, made before it was bound; those are audited as float32.
   */
  activationDtype?: string
}

/** Sampling parameters of a task (canonical JSON on chain). */
export type TaskSampling = {
  temperature: number
  topK: number
  topP: number
  minP: number
  maxTokens: number
}

/** The task as posted on chain (from `TaskPosted`). */
export type PostedTask = {
  taskId: bigint
  modelDigest: Hex
  inputHash: Hex
  input: Hex
  samplingParams: Hex
  seed: bigint
}

/** The task input: a raw prompt or chat messages (JSON on chain). */
export type TaskInput =
  | { prompt: string; raw?: boolean }
  | { messages: { role: 'system' | 'user' | 'assistant'; content: string }[] }
