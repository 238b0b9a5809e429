// Types of the model store: what is on disk (LocalModel), what the engine
// hands back once loaded (EngineModel, the surface of engine's Model), and
// the loader the residency manager calls.
import type {
  ChatMessage,
  GenerateOptions,
  GenerationChunk,
  GenerationStats,
  LoadModelOptions,
  ModelInfo,
  ModelType,
} from '../engine/types.ts'

export type ModelFormat = 'gguf' | 'safetensors'

/** One downloaded or imported model variant (a GGUF file or a weights dir). */
export type LocalModel = {
  /** Catalogue key, `publisher/name` (the HF repo id for hub downloads). */
  key: string
  publisher: string
  name: string
  /** Short lowercase alias, e.g. `smollm2-135m-instruct`. */
  alias: string
  /** Lowercase quantization tag used in `key@variant`, e.g. `q4_1`. */
  variant: string | null
  /** GGUF file or safetensors directory handed to the engine. */
  path: string
  format: ModelFormat
  type: ModelType
  architecture: string | null
  quantization: string | null
  sizeBytes: number
  maxContextLength: number | null
  source: 'hub' | 'import'
}

/** The streaming handle returned by `generate` (engine contract). */
export interface GenerationStreamLike extends AsyncIterable<GenerationChunk> {
  result: Promise<GenerationStats>
  cancel(): void
}

/** The part of the engine's `Model` the server and manager use. */
export interface EngineModel {
  readonly info: ModelInfo
  /** The chat template (structured output picks the tool-call format from it). */
  readonly template?: { readonly source: string }
  generate(
    input: string | ChatMessage[],
    options?: GenerateOptions,
  ): GenerationStreamLike
  tokenize(text: string): number[]
  detokenize(ids: number[]): string
  applyChatTemplate(
    messages: ChatMessage[],
    opts?: {
      addGenerationPrompt?: boolean
      tools?: unknown[]
      /** Extra template variables (GenerateOptions.templateContext). */
      extra?: Record<string, unknown>
    },
  ): string
  /** Embedding models: vectors (optionally truncated) and real token usage. */
  embed?(
    inputs: string[],
    options?: { dimensions?: number },
  ): Promise<{
    vectors: Float32Array[]
    usage: { promptTokens: number; totalTokens: number }
  }>
  dispose(): Promise<void>
}

export type ModelLoader = (
  model: LocalModel,
  options: LoadModelOptions,
) => Promise<EngineModel>

/** What the catalogue offers the manager and the routes. */
export interface ModelCatalogue {
  list(): Promise<LocalModel[]>
  resolve(id: string): Promise<LocalModel>
}
