// What route handlers share: the residency manager (loaded models), the
// catalogue (models on disk), download jobs, stored /api/v1/chat threads and
// stored /v1/responses results.
import type { ReasoningTags } from '../engine/reasoning/types.ts'
import type { HiveRouting } from '../hive/routing.ts'
import type { DownloadJobs } from '../models/download/DownloadJobs.ts'
import type { ModelResidency } from '../models/residency/ModelResidency.ts'
import type { ModelCatalogue } from '../models/types.ts'
import type { GenerationCounters } from './generation/GenerationCounters.ts'
import type { ServerLog } from './logging/ServerLog.ts'
import type { McpHub } from './mcp/McpHub.ts'
import type { ResponseStore } from './state/ResponseStore.ts'
import type { ThreadStore } from './state/ThreadStore.ts'

export type ServerContext = {
  residency: ModelResidency
  catalogue: ModelCatalogue
  downloads: DownloadJobs
  /** `/api/v1/chat` stateful threads: response_id -> full message history. */
  threads: ThreadStore
  /** Started / active / completed / cancelled generations. */
  generations: GenerationCounters
  /** Stored /v1/responses results (previous_response_id, GET, DELETE). */
  responses: ResponseStore
  /** MCP servers (mcp.json and per-request ones), when allowed. */
  mcp: McpHub
  /** Structured log (request records), streamed to `pocket log stream`. */
  log: ServerLog
  /** Reasoning tags to parse (default: detected from each model's template). */
  reasoningTags?: ReasoningTags
  /** Set when the server runs in a hive: generation goes through it. */
  hive?: HiveRouting
}
