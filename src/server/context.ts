// What route handlers share: the residency manager (loaded models), the
// catalogue (models on disk), download jobs, stored /api/v1/chat threads and
// stored /v1/responses results.
import type { ReasoningTags } from '../engine/reasoning/types.ts'
import type { ChatMessage } from '../engine/types.ts'
import type { DownloadJobs } from '../models/download/DownloadJobs.ts'
import type { ModelResidency } from '../models/residency/ModelResidency.ts'
import type { ModelCatalogue } from '../models/types.ts'
import type { GenerationCounters } from './generation/GenerationCounters.ts'
import type { ResponseStore } from './state/ResponseStore.ts'

export type ServerContext = {
  residency: ModelResidency
  catalogue: ModelCatalogue
  downloads: DownloadJobs
  /** `/api/v1/chat` stateful threads: response_id -> full message history. */
  threads: Map<string, ChatMessage[]>
  /** Started / active / completed / cancelled generations. */
  generations: GenerationCounters
  /** Stored /v1/responses results (previous_response_id, GET, DELETE). */
  responses: ResponseStore
  /** Reasoning tags to parse (default: detected from each model's template). */
  reasoningTags?: ReasoningTags
}
