// The typed request every generation endpoint is turned into.
import type { ChatMessage, GenerateOptions } from '../../engine/types.ts'
import type { StructuredRequest } from '../validate/structured.ts'

export type GenerationRequest = {
  model: string
  /** Chat messages (templated by the engine) or a raw prompt string. */
  input: string | ChatMessage[]
  options: GenerateOptions
  stream: boolean
  includeUsage: boolean
  /** Idle TTL in seconds applied when this request JIT-loads the model. */
  ttlSeconds?: number
  /** Context length applied when this request JIT-loads the model. */
  contextLength?: number
  /** Speculative decoding: a draft model's key (JIT-loaded) or "prompt-lookup". */
  draftModel?: string
  /** response_format / tools: turned into a grammar once the model is known. */
  structured?: StructuredRequest
}
