// The engine's public surface.

export type {
  AuditEvidence,
  AuditParameters,
  AuditTokenCheck,
} from './audit.ts'
export { auditCompletion } from './audit.ts'
export type { EmbedOptions, EmbedResult } from './embeddings/EmbeddingModel.ts'
export { EmbeddingModel } from './embeddings/EmbeddingModel.ts'
export { loadEmbeddingModel } from './embeddings/loadEmbeddingModel.ts'
export type { EngineBackend, ParsedBackend } from './engineBackend.ts'
export {
  backendString,
  engineBackend,
  parseBackendString,
} from './engineBackend.ts'
export {
  BaseError,
  ChatTemplateError,
  ContextOverflowError,
  EngineError,
  InvalidOptionError,
  ModelDisposedError,
  ModelLoadError,
  UnsupportedModelError,
} from './errors.ts'
export type { GenerationStream } from './generationStream.ts'
export type { LoadModelParameters, LoadModelReturnType } from './loadModel.ts'
export { loadModel } from './loadModel.ts'
export type { ModelVision } from './model.ts'
export { Model } from './model.ts'
export { native } from './native.ts'
export type {
  ActivationDtype,
  ChatMessage,
  Commitment,
  ContentPart,
  DraftModel,
  GenerateOptions,
  GenerationChunk,
  GenerationStats,
  LoadModelOptions,
  ModelInfo,
  ModelType,
  SamplingDefaults,
  SamplingOptions,
  SpeculativeStats,
  StopReason,
  TokenLogprob,
  ToolCall,
} from './types.ts'
export { PROMPT_LOOKUP } from './types.ts'
export { fetchImage } from './vision/fetchImage.ts'
export { loadVisionModel } from './vision/loadVisionModel.ts'
export { VisionModel } from './vision/VisionModel.ts'
