// What route handlers share: the residency manager (loaded models), the
// catalogue (models on disk), download jobs and stored /api/v1/chat threads.
import type { ReasoningTags } from '../engine/reasoning/types.ts'
import type { ChatMessage } from '../engine/types.ts'
import type { DownloadJobs } from '../models/download/DownloadJobs.ts'
import type { ModelResidency } from '../models/residency/ModelResidency.ts'
import type { ModelCatalogue } from '../models/types.ts'
import type { GenerationCounters } from './generation/GenerationCounters.ts'

export type ServerContext = {
  residency: ModelResidency
  catalogue: ModelCatalogue
  downloads: DownloadJobs
  /** `/api/v1/chat` stateful threads: response_id -> full message history. */
  threads: Map<string, ChatMessage[]>
  /** Started / active / completed / cancelled generations. */
  generations: GenerationCounters
  /** Reasoning tags to parse (default: detected from each model's template). */
  reasoningTags?: ReasoningTags
}
