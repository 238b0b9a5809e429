// PocketCloudMLX's public API: the engine SDK, structured output and tools,
// the model store, the server, receipts, chain actions and the scheduler.
// Named exports only; each area's full surface is in its own index.ts.

// Chain actions (viem)
export {
  assignTask,
  cancelTask,
  challengeTask,
  commitResult,
  finalizeTask,
  getContracts,
  getTask,
  placeBid,
  pocketTokenAbi,
  postTask,
  readDeployment,
  stake,
  stakingAbi,
  taskMarketAbi,
  timeoutTask,
  withdraw,
} from './chain/index.ts'
export type {
  ActivationDtype,
  AuditEvidence,
  AuditParameters,
  AuditTokenCheck,
  ChatMessage,
  Commitment,
  ContentPart,
  DraftModel,
  EmbedOptions,
  EmbedResult,
  EngineBackend,
  GenerateOptions,
  GenerationChunk,
  GenerationStats,
  GenerationStream,
  LoadModelOptions,
  ModelInfo,
  ModelType,
  ModelVision,
  ParsedBackend,
  SamplingDefaults,
  SamplingOptions,
  SpeculativeStats,
  StopReason,
  TokenLogprob,
  ToolCall,
} from './engine/index.ts'
// Engine
export {
  auditCompletion,
  BaseError,
  backendString,
  ChatTemplateError,
  ContextOverflowError,
  EmbeddingModel,
  EngineError,
  engineBackend,
  fetchImage,
  InvalidOptionError,
  loadEmbeddingModel,
  loadModel,
  loadVisionModel,
  Model,
  ModelDisposedError,
  ModelLoadError,
  native,
  PROMPT_LOOKUP,
  parseBackendString,
  UnsupportedModelError,
  VisionModel,
} from './engine/index.ts'
// Reasoning output (<think> blocks, gpt-oss Harmony)
export type {
  ChatOutputEvent,
  ChatOutputParserOptions,
  ReasoningFormat,
  ReasoningTags,
} from './engine/reasoning/index.ts'
export {
  ChatOutputParser,
  detectReasoningFormat,
  HarmonyParser,
  planChatOutput,
  ReasoningTagParser,
  THINK_TAGS,
} from './engine/reasoning/index.ts'
export type {
  ActOptions,
  ActReturnType,
  ActRound,
  ActTool,
  RespondOptions,
  RespondReturnType,
  ResponseFormat,
  ToolChoice,
  ToolDefinition,
} from './engine/structured/index.ts'
// Structured output and tool calling
export {
  act,
  InvalidSchemaError,
  respond,
  StructuredOutputError,
  ToolCallParser,
  toGenerateGrammar,
  toolCallDelta,
} from './engine/structured/index.ts'
export { downloadModel } from './models/download/downloadModel.ts'
export { importModel } from './models/importModel.ts'
// Model store and server
export { ModelStore, resolveModel } from './models/ModelStore.ts'

// Receipts
export type {
  ActivationDtype as ReceiptActivationDtype,
  AuditThresholds,
  AuditTolerance,
  AuditVerdict,
  Participant,
} from './receipts/index.ts'
export {
  AUDIT_THRESHOLDS,
  auditOutput,
  auditReceipt,
  auditTolerance,
  buildReceipt,
  decodeOutput,
  encodeOutput,
  hashReceipt,
  judgeAudit,
  modelDigest,
  modelDigestOfPath,
  outputHash,
  signReceipt,
  verifyReceiptSignature,
} from './receipts/index.ts'
// Scheduler (indexer-backed bid choice)
export {
  assignBestBid,
  createIndexerClient,
  pickBid,
  reputationOf,
  scoreBid,
} from './scheduler/index.ts'
export { createServer } from './server/createServer.ts'
