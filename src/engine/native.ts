// Loads the native addon and states its surface. The binding is hand-written
// C++ (native/src/*.cpp); this file is its TypeScript declaration.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { EngineError } from './errors.ts'
import type { SpeculativeStats } from './types.ts'

export type NativeDecoderConfig = {
  architecture: string
  hiddenSize: number
  numLayers: number
  numHeads: number
  numKvHeads: number
  headDim: number
  intermediateSize: number
  vocabSize: number
  contextLength?: number
  rmsEps?: number
  ropeTheta: number
  ropeTraditional: boolean
  ropeScaling?: {
    /** '', 'linear', 'llama3', 'yarn' or 'longrope'. */
    type: string
    factor?: number
    lowFreqFactor?: number
    highFreqFactor?: number
    originalMaxPositionEmbeddings?: number
    betaFast?: number
    betaSlow?: number
    /** YaRN: round the correction range outwards (default true). */
    truncate?: boolean
    mscale?: number
    mscaleAllDim?: number
    attentionFactor?: number
    shortFactor?: number[]
    longFactor?: number[]
  }
  qkNorm?: boolean
  /** Architecture features (native/src/config.h); defaults are Llama's. */
  normLayout?: 'pre' | 'sandwich' | 'post'
  normPlusOne?: boolean
  qkNormFull?: boolean
  activation?: 'silu' | 'gelu_tanh'
  embedScale?: number
  attnScale?: number
  attnSoftcap?: number
  finalSoftcap?: number
  residualScale?: number
  logitScale?: number
  /** Per layer: 0 = full attention, else the sliding window. */
  layerWindow?: number[]
  /** Per layer: 1 = rope, 0 = no positional encoding. */
  layerRope?: number[]
  ropeLocalTheta?: number
  ropeDims?: number
  /** Llama 4 / Mistral 3 attention temperature: scale and floor length. */
  attnTempScale?: number
  attnTempFloor?: number
  eosIds: number[]
  bosId: number
  quantBits?: number
  quantGroup?: number
  /** HF names of the decoder's weights (VLMs nest it, e.g. "model.text_model."). */
  weightPrefix?: string
  lmHeadName?: string
  /** Sparse mixture-of-experts feed-forward layers (absent: dense MLPs). */
  moe?: NativeMoeConfig
  /** gpt-oss: a learned per-head logit in every softmax denominator. */
  attnSinks?: boolean
}

export type NativeMoeConfig = {
  numExperts: number
  expertsPerToken: number
  /** Width of one expert's MLP. */
  intermediateSize: number
  /** softmax_topk: softmax over all experts, keep the top k (Qwen3-MoE,
   * Mixtral); topk_softmax: softmax over the top-k router logits (gpt-oss). */
  gating?: 'softmax_topk' | 'topk_softmax'
  /** Renormalize the kept probabilities (softmax_topk). */
  normTopkProb?: boolean
  weightsScale?: number
  /** silu: SwiGLU; swiglu_oai: gpt-oss's clamped SwiGLU (alpha 1.702, limit 7). */
  activation?: 'silu' | 'swiglu_oai'
  /** swiglu_oai's clamp (config.json `swiglu_limit`, default 7). */
  swigluLimit?: number
}

/** How the tensors of one GGUF tensor type were loaded. */
export type NativeTensorTypeInfo = {
  count: number
  elements: number
  /** e.g. "affine 4-bit g32 (exact)", "affine 8-bit g32 (converted)". */
  mappedTo: string
  /** Dequantized values are bit-identical to llama.cpp's. */
  exact: boolean
}

export type NativeModelInfo = NativeDecoderConfig & {
  contextLength: number
  nbytes: number
  tieEmbeddings: boolean
  /** `cpu`, `cpu-graph`, `cuda` or `metal` (see NativeBackend). */
  backend: string
  dtype: string
  /** The MLX device the model runs on. */
  device: 'cpu' | 'gpu'
  /** GGUF models: per ggml tensor type (Q4_K, Q6_K, ...). */
  tensorTypes?: Record<string, NativeTensorTypeInfo>
}

/** Where the engine computes (native/src/backend.h). */
export type NativeBackend = {
  /** MLX's device the engine uses: POCKET_DEVICE, else the GPU when there is one. */
  device: 'cpu' | 'gpu'
  kind: 'cpu' | 'cuda' | 'metal'
  /** `cpu` (custom CPU kernels), `cpu-graph` (MLX ops on the CPU), `cuda`, `metal`. */
  name: string
  deviceName: string
  gpuAvailable: boolean
  graphPath: boolean
  defaultDtype: string
  /** Instruction set of the integer-dot decode kernels (POCKET_CPU_ISA): scalar, avx2 or avx512. */
  cpuIsa: string
}

export type NativeDequantizedTensor = {
  values: Float32Array
  shape: number[]
  type: string
  mappedTo: string
  exact: boolean
}

export type NativeMetadataValue = string | number | string[] | Float64Array

export type NativeGenerateRequest = {
  tokens: Int32Array
  temperature?: number
  topK?: number
  topP?: number
  minP?: number
  repetitionPenalty?: number
  repetitionContextSize?: number
  presencePenalty?: number
  frequencyPenalty?: number
  logitBias?: [number, number][]
  seed?: number
  maxTokens?: number
  stopTokenIds?: number[]
  /** The prompt's last n tokens are an earlier run's completion (failover). */
  resumedTokens?: number
  verified?: boolean
  promptCache?: boolean
  logprobs?: boolean
  topLogprobs?: number
  commitTopK?: number
  grammar?: { kind: string; text: string }
  /** VLM: rows replacing the token embeddings at these prompt positions. */
  imageEmbeddings?: { positions: Int32Array; values: Float32Array }
  /** Speculative decoding: another loaded model with the same vocabulary. */
  draftModel?: NativeModel
  /** Speculative decoding with drafts looked up in the context instead. */
  promptLookup?: boolean
  numDraftTokens?: number
}

export type NativeCommitment = {
  index: number
  indices: Int32Array
  values: Float32Array
}

export type NativeStats = {
  promptTokens: number
  completionTokens: number
  cachedTokens: number
  kvCacheBytes: number
  timeToFirstTokenMs: number
  promptTokensPerSecond: number
  tokensPerSecond: number
  totalTimeMs: number
  stopReason: 'eos' | 'maxTokens' | 'contextFull' | 'cancelled'
  stopToken: number
  seed: number
  grammarMasks: number
  grammarMaskMs: number
  commitments: NativeCommitment[]
  speculative?: SpeculativeStats
}

export type NativeEvent =
  | { type: 'token'; token: number; logprob: number; top?: [number, number][] }
  | { type: 'prefill'; processed: number; total: number }
  | { type: 'done'; stats: NativeStats }
  | { type: 'error'; error: Error & { code?: string } }

export type NativeEvaluateRequest = {
  tokens: Int32Array
  /** First position reported; row r describes the token after from + r. */
  from?: number
  topK?: number
  fullLogits?: boolean
  hidden?: boolean
}

export type NativeEvaluation = {
  rows: number
  vocabSize: number
  hiddenSize: number
  topK: number
  topIds: Int32Array
  topLogits: Float32Array
  logsumexp: Float32Array
  logits?: Float32Array
  hidden?: Float32Array
}

export type NativeAuditRequest = Omit<NativeGenerateRequest, 'tokens'> & {
  promptTokens: Int32Array
  completionTokens: Int32Array
  commitIndices?: number[]
  commitTopK?: number
  greedyTolerance?: number
  intervalTolerance?: number
}

export type NativeTokenCheck = {
  index: number
  token: number
  ok: boolean
  gap: number
  maxLogit: number
  logit: number
  u: number
  low: number
  high: number
  candidate: boolean
  above?: number
  kthLogit?: number
}

export type NativeAudit = {
  checks: NativeTokenCheck[]
  failures: number
  commitments: NativeCommitment[]
}

export interface NativeModel {
  savePromptCache(file: string): Promise<number>
  loadPromptCache(file: string): Promise<number>
  audit(req: NativeAuditRequest): Promise<NativeAudit>
  evaluate(req: NativeEvaluateRequest): Promise<NativeEvaluation>
  readonly info: NativeModelInfo
  readonly metadata: Record<string, NativeMetadataValue>
  generate(
    req: NativeGenerateRequest,
    onEvent: (e: NativeEvent) => void,
  ): number
  cancel(requestId: number): void
  unload(): Promise<void>
}

export type NativeLoadOptions = {
  path: string
  format: 'gguf' | 'safetensors'
  files?: string[]
  config?: NativeDecoderConfig
  contextLength?: number
  prefillChunkSize?: number
  parallel?: number
  kvBits?: 0 | 4 | 8
  decodeActivations?: 'int8-head' | 'int8' | 'float32'
  /** tokenizer.json of a safetensors model (for the grammar engine). */
  tokenizerJson?: string
  dtype?: string
  /** Load progress from the engine thread (GGUF), 0..1, at most once a percent. */
  onProgress?: (fraction: number) => void
}

export type NativeBinding = {
  mlxVersion: string
  backend(): NativeBackend
  /** Graph path on the CPU on/off (tests run both paths in one process). */
  setGraphPath(on: boolean): Promise<boolean>
  loadModel(options: NativeLoadOptions): Promise<NativeModel>
  memoryStats(): Promise<{
    activeBytes: number
    peakBytes: number
    cacheBytes: number
    limitBytes: number
  }>
  setMemoryLimits(limits: {
    memoryLimitBytes?: number
    cacheLimitBytes?: number
  }): Promise<void>
  /** One GGUF tensor as the engine holds it, dequantized to float32. */
  dequantizeGgufTensor(options: {
    path: string
    name: string
    /** Where 5-bit types go: MLX 5-bit (5) or the same values as 8-bit. */
    fiveBitAs?: 5 | 8
  }): Promise<NativeDequantizedTensor>
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
let binding: NativeBinding | undefined

/** The addon, loaded once. POCKET_NATIVE_ADDON overrides its path. */
export function native(): NativeBinding {
  if (binding) return binding
  const path =
    process.env.POCKET_NATIVE_ADDON ??
    join(root, 'native', 'build', 'pocket_engine.node')
  if (!existsSync(path))
    throw new EngineError('The native engine is not built.', {
      details: `${path} is missing; run \`npm install\` (or \`npm run build:native\`).`,
    })
  binding = createRequire(import.meta.url)(path) as NativeBinding
  return binding
}

/** Turns an error from the addon into the engine's error tree. */
export function nativeErrorCode(error: unknown): string | undefined {
  return (error as { code?: string })?.code
}
