// Which models are in memory, and for how long. JIT loading with single-flight
// (concurrent first requests share one load, never duplicate instances), idle
// TTL, LM Studio's "keep only the last JIT model" auto-evict, and LRU eviction
// within a memory budget. A model with a request in flight is never evicted:
// it is marked and unloaded once its last lease is released.
import { totalmem } from 'node:os'
import type { ActivationDtype } from '../../engine/types.ts'
import {
  InstanceNotFoundError,
  InsufficientMemoryError,
  ModelNotLoadedError,
} from '../errors.ts'
import type {
  EngineModel,
  LocalModel,
  ModelCatalogue,
  ModelLoader,
} from '../types.ts'
import type { Instance, InstanceSnapshot, Lease } from './instance.ts'
import { DEFAULT_PARALLEL, snapshotInstance } from './instance.ts'

export type ModelResidencyOptions = {
  catalogue: ModelCatalogue
  loader: ModelLoader
  /** Bytes of weights allowed in memory at once (default 75% of RAM). */
  memoryBudgetBytes?: number
  /** Load unloaded models on first request (default true). */
  jit?: boolean
  /** Unload the previous JIT-loaded model when JIT loads another (default true). */
  jitAutoEvict?: boolean
  /** Idle TTL of JIT-loaded models, seconds (default 3600, like LM Studio). */
  defaultJitTtlSeconds?: number
  /** Concurrent streams batched per model when a load does not say (engine default when unset). */
  defaultParallel?: number
}

export type LoadOptions = {
  identifier?: string
  contextLength?: number
  /** Idle seconds before unloading; undefined = never (explicit loads). */
  ttlSeconds?: number
  /** Concurrent streams batched together (continuous batching slots). */
  parallel?: number
  /** Activation dtype (engine default when unset: float32 CPU, float16 GPU). */
  dtype?: ActivationDtype
  /** Load progress, 0..1 (see LoadModelOptions.onProgress). */
  onProgress?: (fraction: number) => void
}

export type AcquireOptions = {
  ttlSeconds?: number
  contextLength?: number
  /** Called when this request has to wait for a load (JIT). */
  onLoadStart?: (identifier: string) => void
  /** Progress (0..1) of the JIT load this request waits for. */
  onLoadProgress?: (fraction: number) => void
}

type Pending = {
  promise: Promise<Instance>
  waiters: number
  identifier: string
  /** Every waiter's progress listener (a shared load reports to all). */
  listeners: Set<(fraction: number) => void>
}

export class ModelResidency {
  readonly jit: boolean
  readonly memoryBudgetBytes: number
  #catalogue: ModelCatalogue
  #loader: ModelLoader
  #jitAutoEvict: boolean
  #defaultJitTtlSeconds: number
  #defaultParallel: number | undefined
  #instances = new Map<string, Instance>()
  #pending = new Map<string, Pending>()
  #reserved = new Set<string>()
  #pendingBytes = 0
  #disposals = new Set<Promise<void>>()
  #tick = 0

  constructor(options: ModelResidencyOptions) {
    this.#catalogue = options.catalogue
    this.#loader = options.loader
    this.jit = options.jit ?? true
    this.#jitAutoEvict = options.jitAutoEvict ?? true
    this.#defaultJitTtlSeconds = options.defaultJitTtlSeconds ?? 3600
    this.#defaultParallel = options.defaultParallel
    this.memoryBudgetBytes =
      options.memoryBudgetBytes ?? Math.floor(totalmem() * 0.75)
  }

  /** Loaded instances, oldest first. */
  list(): InstanceSnapshot[] {
    return [...this.#instances.values()].map(snapshotInstance)
  }

  /** The loaded instance an id names (identifier, key or alias), if any. */
  find(id: string): InstanceSnapshot | null {
    const inst = this.#find(id)
    return inst ? snapshotInstance(inst) : null
  }

  /** Explicit load (`pocket load`, `/api/v1/models/load`): a new instance. */
  async load(id: string, options: LoadOptions = {}): Promise<InstanceSnapshot> {
    const local = await this.#catalogue.resolve(id)
    const identifier = this.#uniqueIdentifier(options.identifier ?? local.key)
    const inst = await this.#startLoad(local, {
      identifier,
      jit: false,
      ttlSeconds: options.ttlSeconds ?? null,
      contextLength: options.contextLength,
      parallel: options.parallel,
      dtype: options.dtype,
      onProgress: options.onProgress,
    })
    this.#scheduleTtl(inst)
    return snapshotInstance(inst)
  }

  /** Gets a model for one request, JIT-loading it once if needed. */
  async acquire(id: string, options: AcquireOptions = {}): Promise<Lease> {
    const loaded = this.#find(id)
    if (loaded) return this.#lease(loaded, null)
    const local = await this.#catalogue.resolve(id)
    const byPath = [...this.#instances.values()].find(
      (i) => i.local.path === local.path,
    )
    if (byPath) return this.#lease(byPath, null)
    if (!this.jit) throw new ModelNotLoadedError(id)
    let pending = this.#pending.get(local.path)
    if (!pending) pending = this.#startJitLoad(local, options)
    pending.waiters++
    options.onLoadStart?.(pending.identifier)
    const listener = options.onLoadProgress
    if (listener) pending.listeners.add(listener)
    try {
      const inst = await pending.promise
      return this.#makeLease(inst, inst.loadTimeMs)
    } finally {
      if (listener) pending.listeners.delete(listener)
    }
  }

  /** Unloads an instance; one still generating goes once it is idle. */
  async unload(id: string): Promise<InstanceSnapshot> {
    const inst = this.#find(id)
    if (!inst) throw new InstanceNotFoundError(id)
    const snap = snapshotInstance(inst)
    await this.#unloadInstance(inst)
    return snap
  }

  async unloadAll(): Promise<InstanceSnapshot[]> {
    const all = [...this.#instances.values()]
    await Promise.all(all.map((i) => this.#unloadInstance(i)))
    return all.map(snapshotInstance)
  }

  /** Unloads everything and waits for pending disposals. Safe twice. */
  async dispose(): Promise<void> {
    await Promise.allSettled([...this.#pending.values()].map((p) => p.promise))
    await this.unloadAll()
    await Promise.allSettled([...this.#disposals])
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose()
  }

  #find(id: string): Instance | undefined {
    const exact = this.#instances.get(id)
    if (exact) return exact
    const lower = id.toLowerCase()
    const all = [...this.#instances.values()]
    return (
      all.find((i) => i.identifier.toLowerCase() === lower) ??
      all.find(
        (i) =>
          i.local.key.toLowerCase() === lower ||
          i.local.alias === lower ||
          `${i.local.key}@${i.local.variant}`.toLowerCase() === lower,
      )
    )
  }

  #startJitLoad(local: LocalModel, options: AcquireOptions): Pending {
    const identifier = this.#uniqueIdentifier(local.key)
    const entry: Pending = {
      identifier,
      waiters: 0,
      promise: null as never,
      // Before the load starts: a loader may report progress right away.
      listeners: new Set(
        options.onLoadProgress ? [options.onLoadProgress] : [],
      ),
    }
    if (this.#jitAutoEvict) {
      for (const other of this.#instances.values()) {
        if (other.jit) void this.#unloadInstance(other)
      }
    }
    entry.promise = this.#startLoad(local, {
      identifier,
      jit: true,
      ttlSeconds: options.ttlSeconds ?? this.#defaultJitTtlSeconds,
      contextLength: options.contextLength,
      onProgress: (f) => {
        for (const l of entry.listeners) {
          try {
            l(f)
          } catch {} // a listener's failure is its own; the load goes on
        }
      },
      // Waiters hold leases from the moment the instance exists.
      initialActive: () => entry.waiters,
    }).finally(() => this.#pending.delete(local.path))
    this.#pending.set(local.path, entry)
    return entry
  }

  async #startLoad(
    local: LocalModel,
    o: {
      identifier: string
      jit: boolean
      ttlSeconds: number | null
      contextLength?: number
      parallel?: number
      dtype?: ActivationDtype
      onProgress?: (fraction: number) => void
      initialActive?: () => number
    },
  ): Promise<Instance> {
    const parallel = o.parallel ?? this.#defaultParallel
    this.#reserved.add(o.identifier)
    try {
      this.#makeRoom(local.sizeBytes)
      this.#pendingBytes += local.sizeBytes
      const started = performance.now()
      let model: EngineModel
      try {
        model = await this.#loader(local, {
          identifier: o.identifier,
          ...(o.contextLength ? { contextLength: o.contextLength } : {}),
          ...(parallel ? { parallel } : {}),
          ...(o.dtype ? { dtype: o.dtype } : {}),
          ...(o.onProgress ? { onProgress: o.onProgress } : {}),
        })
      } finally {
        this.#pendingBytes -= local.sizeBytes
      }
      const now = Date.now()
      const inst: Instance = {
        identifier: o.identifier,
        local,
        model,
        jit: o.jit,
        ttlMs: o.ttlSeconds == null ? null : o.ttlSeconds * 1000,
        active: o.initialActive?.() ?? 0,
        loadedAt: now,
        lastUsedAt: now,
        lruTick: ++this.#tick,
        loadTimeMs: performance.now() - started,
        parallel:
          local.type === 'embeddings' ? 1 : (parallel ?? DEFAULT_PARALLEL),
        timer: null,
        ttlDeadline: null,
        evictWhenIdle: false,
        removed: false,
      }
      this.#instances.set(o.identifier, inst)
      return inst
    } finally {
      this.#reserved.delete(o.identifier)
    }
  }

  /** Evicts idle models (JIT first, least recently used first) to fit `bytes`. */
  #makeRoom(bytes: number): void {
    const budget = this.memoryBudgetBytes
    let used = this.#pendingBytes
    for (const i of this.#instances.values()) used += i.local.sizeBytes
    if (used + bytes <= budget) return
    const idle = [...this.#instances.values()]
      .filter((i) => i.active === 0)
      .sort((a, b) => Number(b.jit) - Number(a.jit) || a.lruTick - b.lruTick)
    const victims: Instance[] = []
    for (const i of idle) {
      if (used + bytes <= budget) break
      victims.push(i)
      used -= i.local.sizeBytes
    }
    if (used + bytes > budget) {
      throw new InsufficientMemoryError(
        bytes,
        budget,
        `resident and loading: ${used} bytes`,
      )
    }
    for (const v of victims) void this.#unloadInstance(v)
  }

  #lease(inst: Instance, loadTimeMs: number | null): Lease {
    inst.active++
    return this.#makeLease(inst, loadTimeMs)
  }

  /** Wraps an already-counted use of `inst` in a release-once lease. */
  #makeLease(inst: Instance, loadTimeMs: number | null): Lease {
    this.#clearTtl(inst)
    let released = false
    const release = () => {
      if (released) return
      released = true
      inst.active--
      inst.lastUsedAt = Date.now()
      inst.lruTick = ++this.#tick
      if (inst.active > 0) return
      if (inst.removed) this.#track(inst.model.dispose())
      else if (inst.evictWhenIdle) void this.#unloadInstance(inst)
      else this.#scheduleTtl(inst)
    }
    return {
      identifier: inst.identifier,
      local: inst.local,
      model: inst.model,
      loadTimeMs,
      release,
      [Symbol.dispose]: release,
    }
  }

  async #unloadInstance(inst: Instance): Promise<void> {
    if (inst.removed) return
    if (this.#instances.get(inst.identifier) === inst)
      this.#instances.delete(inst.identifier)
    this.#clearTtl(inst)
    inst.removed = true
    // A model that is generating is disposed by its last lease's release.
    if (inst.active === 0) await this.#track(inst.model.dispose())
  }

  #scheduleTtl(inst: Instance): void {
    this.#clearTtl(inst)
    if (inst.ttlMs == null || inst.removed || inst.active > 0) return
    inst.ttlDeadline = Date.now() + inst.ttlMs
    inst.timer = setTimeout(() => {
      if (inst.active === 0) void this.#unloadInstance(inst)
    }, inst.ttlMs)
    inst.timer.unref?.()
  }

  #clearTtl(inst: Instance): void {
    if (inst.timer) clearTimeout(inst.timer)
    inst.timer = null
    inst.ttlDeadline = null
  }

  #track(p: Promise<void>): Promise<void> {
    const tracked = p
      .catch(() => {})
      .finally(() => this.#disposals.delete(tracked))
    this.#disposals.add(tracked)
    return tracked
  }

  #uniqueIdentifier(base: string): string {
    const taken = (id: string) =>
      this.#instances.has(id) || this.#reserved.has(id)
    if (!taken(base)) return base
    let n = 2
    while (taken(`${base}:${n}`)) n++
    return `${base}:${n}`
  }
}
