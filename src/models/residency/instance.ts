// One loaded model instance inside the residency manager, its public
// snapshot, and the per-request lease that keeps it from being evicted.
import type { EngineModel, LocalModel } from '../types.ts'

/** Streams batched per served model when neither the load nor the server says. */
export const DEFAULT_PARALLEL = 8

export type Instance = {
  identifier: string
  local: LocalModel
  model: EngineModel
  jit: boolean
  ttlMs: number | null
  /** Requests holding a lease (generating or about to). */
  active: number
  loadedAt: number
  lastUsedAt: number
  /** Monotonic use counter: LRU order without clock ties. */
  lruTick: number
  loadTimeMs: number
  /** Streams that share one decode step (continuous batching slots). */
  parallel: number
  timer: ReturnType<typeof setTimeout> | null
  ttlDeadline: number | null
  evictWhenIdle: boolean
  removed: boolean
}

export type InstanceSnapshot = {
  identifier: string
  local: LocalModel
  model: EngineModel
  jit: boolean
  ttlSeconds: number | null
  ttlRemainingSeconds: number | null
  activeRequests: number
  status: 'idle' | 'generating'
  contextLength: number
  loadedAt: number
  lastUsedAt: number
  loadTimeMs: number
  parallel: number
}

/** A model held for one request; `release()` (or `using`) hands it back. */
export type Lease = {
  identifier: string
  local: LocalModel
  model: EngineModel
  /** Milliseconds spent loading when this request waited for a JIT load. */
  loadTimeMs: number | null
  release(): void
  [Symbol.dispose](): void
}

export function snapshotInstance(i: Instance): InstanceSnapshot {
  return {
    identifier: i.identifier,
    local: i.local,
    model: i.model,
    jit: i.jit,
    ttlSeconds: i.ttlMs == null ? null : i.ttlMs / 1000,
    ttlRemainingSeconds:
      i.ttlDeadline == null
        ? null
        : Math.max(0, Math.round((i.ttlDeadline - Date.now()) / 1000)),
    activeRequests: i.active,
    status: i.active > 0 ? 'generating' : 'idle',
    contextLength: i.model.info.contextLength,
    loadedAt: i.loadedAt,
    lastUsedAt: i.lastUsedAt,
    loadTimeMs: i.loadTimeMs,
    parallel: i.parallel,
  }
}
