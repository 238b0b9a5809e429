// The typed request every generation endpoint is turned into.
import type { ChatMessage, GenerateOptions } from '../../engine/types.ts'
import type { HiveOptions } from '../../hive/hiveOptions.ts'
import type { StructuredRequest } from '../validate/structured.ts'
import type { ReasoningSetting } from './reasoningSetting.ts'

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
  /**
   * Chat: split the model's reasoning (`<think>` blocks, Harmony analysis
   * channel) out of the content (default true; llama.cpp's
   * `reasoning_format: "none"` turns it off).
   */
  parseReasoning?: boolean
  /** LM Studio's `reasoning` setting, applied once the template is known. */
  reasoningSetting?: ReasoningSetting
  /** response_format / tools: turned into a grammar once the model is known. */
  structured?: StructuredRequest
  /** Hive routing options (redundancy, synthesis, pinning). */
  hive?: HiveOptions
}
