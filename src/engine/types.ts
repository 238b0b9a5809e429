// Public types of the engine layer: what callers (server, CLI, node daemon)
// pass in and get back. JSON stays at the edge; these are typed objects.
import type { NativeModel, NativeTensorTypeInfo } from './native.ts'

export type Role = 'system' | 'user' | 'assistant' | 'tool'

export type ContentPart =
  | { type: 'text'; text: string }
  | { type: 'image'; data: Uint8Array; mimeType: string }

export type ToolCall = {
  id: string
  type: 'function'
  function: { name: string; arguments: string }
}

export type ChatMessage = {
  role: Role
  content: string | ContentPart[] | null
  name?: string
  tool_calls?: ToolCall[]
  tool_call_id?: string
  /** An assistant turn's reasoning, for templates that render past thinking. */
  reasoning_content?: string
}

/** Sampling knobs, all optional; defaults follow OpenAI/LM Studio. */
export type SamplingOptions = {
  temperature?: number // 0 = greedy
  topK?: number // 0 = off
  topP?: number // 1 = off
  minP?: number // 0 = off
  repetitionPenalty?: number // 1 = off (llama.cpp's repeat_penalty)
  repetitionContextSize?: number // tokens looked back for penalties
  presencePenalty?: number
  frequencyPenalty?: number
  logitBias?: Record<number, number> // token id -> additive bias
  seed?: number // explicit PRNG seed; same seed gives the same tokens
}

/** The sampling knobs a model file may set defaults for (samplingDefaults.ts). */
export type SamplingDefaults = Pick<
  SamplingOptions,
  | 'temperature'
  | 'topK'
  | 'topP'
  | 'minP'
  | 'repetitionPenalty'
  | 'repetitionContextSize'
>

export type GenerateOptions = SamplingOptions & {
  /** Maximum completion tokens; -1 or undefined = until the context is full. */
  maxTokens?: number
  /** Stop strings (matched on detokenized text, never emitted). */
  stop?: string[]
  /** Extra stop token ids besides the model's end-of-generation tokens. */
  stopTokenIds?: number[]
  /** Extra stop tokens by their text (e.g. `<|call|>`); unknown ones are ignored. */
  stopTokens?: string[]
  /**
   * Special tokens written into the text instead of dropped (e.g. Harmony's
   * `<|channel|>`), so a parser can see the reply's structure.
   */
  keepSpecialTokens?: string[]
  signal?: AbortSignal
  /** Return log-probabilities of chosen tokens (and top alternatives). */
  logprobs?: boolean
  topLogprobs?: number
  /** Raw prompt: no chat template is applied to a string input. */
  raw?: boolean
  /** Verified mode (DESIGN §3): batch 1, fixed chunking, seed required. */
  verified?: boolean
  /**
   * Constrains decoding with the grammar engine (llguidance): a JSON schema,
   * a regex, a Lark grammar or llguidance's own format. Output always matches.
   */
  grammar?: {
    kind: 'json_schema' | 'regex' | 'lark' | 'llguidance'
    text: string
  }
  /**
   * VLMs: projected image features replacing the embeddings of the image
   * placeholder tokens at these (ascending) prompt positions.
   */
  imageEmbeddings?: { positions: Int32Array; values: Float32Array }
  /** Activation commitment: top-k of the final hidden state per 32 tokens. */
  commitTopK?: number
  /** Reuse the KV of the longest common prefix (default true). */
  promptCache?: boolean
  /**
   * Prompt processing progress: called after every prefill chunk with the
   * uncached prompt tokens processed so far and their total (the last call
   * has processed === total).
   */
  onPromptProgress?: (processed: number, total: number) => void
  /** Extra variables for the chat template (e.g. tools). */
  templateContext?: Record<string, unknown>
  /**
   * Speculative decoding: a loaded model with the same vocabulary (usually a
   * smaller one of the same family) drafts tokens that this model verifies in
   * one forward. The output is the same as without a draft.
   */
  draftModel?: DraftModel | typeof PROMPT_LOOKUP
  /** Draft tokens proposed per step (default 4, at most 32). */
  numDraftTokens?: number
  /**
   * Resume: completion tokens already emitted (by another device, before a
   * failover). They are prefilled after the prompt and generation goes on
   * from there: the seeded sampler at their position, penalties counting
   * them, so it is the draw an uninterrupted run makes; `maxTokens` counts
   * only new tokens. Not with verified mode, grammars, drafts or images.
   */
  resumeTokens?: number[]
}

/**
 * `draftModel` value for prompt-lookup decoding: drafts are copied from where
 * the context's last few tokens occurred before (no draft model). It pays off
 * when the output repeats the input: extraction, edits, quoting, JSON.
 */
export const PROMPT_LOOKUP = 'prompt-lookup'

/** What `draftModel` needs of a loaded model (any `Model` is one). */
export type DraftModel = { readonly native: NativeModel }

/** Speculative-decoding counters (LM Studio's names, camel-cased). */
export type SpeculativeStats = {
  draftModel: string
  totalDraftTokens: number
  acceptedDraftTokens: number
  rejectedDraftTokens: number
  ignoredDraftTokens: number
}

export type TokenLogprob = {
  token: number
  text: string
  logprob: number
  top: { token: number; text: string; logprob: number }[]
}

/** One streamed piece: UTF-8-safe text plus the token ids behind it. */
export type GenerationChunk = {
  text: string
  tokens: number[]
  logprobs?: TokenLogprob[]
}

export type StopReason =
  | 'eos'
  | 'stopString'
  | 'maxTokens'
  | 'contextFull'
  | 'cancelled'

export type GenerationStats = {
  promptTokens: number
  completionTokens: number
  cachedTokens: number
  /** Bytes the sequence's KV cache held at the end (sliding-window layers keep only their window). */
  kvCacheBytes: number
  timeToFirstTokenMs: number
  promptTokensPerSecond: number
  tokensPerSecond: number
  totalTimeMs: number
  stopReason: StopReason
  stopString?: string
  /** All completion token ids, in order (used by receipts). */
  tokenIds: number[]
  /** The sampling seed used (drawn at random when none was given). */
  seed: number
  /** Activation commitment (when `commitTopK` was set), one per 32 tokens. */
  commitments: Commitment[]
  /** Present when a draft model was used. */
  speculative?: SpeculativeStats
}

/** Top-k of the final hidden state that produced completion token `index`. */
export type Commitment = { index: number; indices: number[]; values: number[] }

export type ModelType = 'llm' | 'embeddings' | 'vlm'

export type ModelInfo = {
  path: string
  format: 'gguf' | 'safetensors'
  type: ModelType
  architecture: string
  contextLength: number
  vocabSize: number
  hiddenSize: number
  numLayers: number
  quantization: string // e.g. 'Q4_1', 'Q4_K_M', 'bf16', '4bit'
  sizeBytes: number
  /** Kernels that run the model: `cpu`, `cpu-graph`, `cuda` or `metal`. */
  backend: string
  /** Activation dtype: `float32`, `float16` or `bfloat16`. */
  dtype: string
  /**
   * The model's own sampling defaults (generation_config.json or GGUF
   * `general.sampling.*`), used for whatever a request leaves out.
   */
  samplingDefaults?: SamplingDefaults
  /** The MLX device the weights live and run on. */
  device?: 'cpu' | 'gpu'
  /**
   * GGUF: how each ggml tensor type in the file was loaded, e.g.
   * `{ Q4_K: { count: 27, mappedTo: 'affine 4-bit g32 (exact)', ... } }`.
   */
  tensorTypes?: Record<string, NativeTensorTypeInfo>
}

/** Activation dtype of a decoder (the graph path; the CPU kernels are float32). */
export type ActivationDtype = 'float32' | 'float16' | 'bfloat16'

export type LoadModelOptions = {
  contextLength?: number
  /** Prefill chunk size in tokens (verified mode always uses the default). */
  prefillChunkSize?: number
  /** KV-cache quantization: 8 or 4 bits (default: float, no quantization). */
  kvBits?: 0 | 4 | 8
  /**
   * CPU decode steps' activations. `int8-head` (default): the LM head's
   * input row is quantized to 8 bits per 32 values and the vocabulary-sized
   * head runs integer-dot kernels, as llama.cpp does; every other product
   * keeps float32, so hidden states and the KV cache are exactly those of
   * `float32`. `int8`: every product of a decode step (least CPU and memory
   * traffic per token, further from the fp32 model and from what a prefill
   * of the same tokens computes: `npm run bench:decode-quality`). `float32`:
   * none. The 8-bit kernels are bit-identical on every instruction set and
   * give each row of a batched product exactly what it gives alone.
   * Verified requests always use float32.
   */
  decodeActivations?: 'int8-head' | 'int8' | 'float32'
  /** Streams that share one batched decode step (continuous batching). */
  parallel?: number
  /**
   * Folder where the prefix (prompt) cache is saved on dispose and restored
   * on load, so multi-turn chats survive a restart.
   */
  promptCacheDir?: string
  /** Identifier under which the model is listed. */
  identifier?: string
  /**
   * Activation dtype (default: float32 on the CPU, float16 on a GPU). Half
   * precision runs MLX's own kernels (the graph path) even on the CPU.
   */
  dtype?: ActivationDtype
  /**
   * Load progress, 0..1 (GGUF: the share of tensor bytes converted; ends
   * with 1 once the model is ready).
   */
  onProgress?: (fraction: number) => void
}
