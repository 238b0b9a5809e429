// Residency: JIT single-flight, idle TTL, LM Studio's JIT auto-evict,
// memory-budget LRU eviction that never evicts a model mid-generation.
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  InsufficientMemoryError,
  ModelNotFoundError,
} from '../../../src/models/errors.ts'
import { resolveModel } from '../../../src/models/ModelStore.ts'
import {
  ModelResidency,
  type ModelResidencyOptions,
} from '../../../src/models/residency/ModelResidency.ts'
import type { LocalModel } from '../../../src/models/types.ts'
import { FakeModel, fakeLocal } from '../../helpers/fakeModel.ts'

const models = [
  fakeLocal('a/alpha', { sizeBytes: 400 }),
  fakeLocal('b/beta', { sizeBytes: 400 }),
  fakeLocal('c/gamma', { sizeBytes: 400 }),
]

function setup(o: Partial<ModelResidencyOptions> = {}) {
  const loads: { local: LocalModel; model: FakeModel }[] = []
  let release: (() => void) | null = null
  const gate = o.loader ? null : new Promise<void>((r) => (release = r))
  const residency = new ModelResidency({
    catalogue: {
      list: async () => models,
      resolve: async (id) => resolveModel(models, id),
    },
    loader: async (local) => {
      const model = new FakeModel(local.path)
      loads.push({ local, model })
      if (slow) await gate
      return model
    },
    memoryBudgetBytes: 1000,
    ...o,
  })
  let slow = false
  return {
    residency,
    loads,
    slowLoads: () => {
      slow = true
      return () => release?.()
    },
  }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('ModelResidency', () => {
  it('concurrent JIT requests share one load (no duplicate instances)', async () => {
    const { residency, loads, slowLoads } = setup()
    const open = slowLoads()
    const starts: string[] = []
    const leases = Promise.all(
      Array.from({ length: 5 }, () =>
        residency.acquire('alpha', { onLoadStart: (id) => starts.push(id) }),
      ),
    )
    await new Promise((r) => setTimeout(r, 10))
    open()
    const got = await leases
    expect(loads).toHaveLength(1)
    expect(starts).toEqual(Array(5).fill('a/alpha'))
    expect(new Set(got.map((l) => l.identifier))).toEqual(new Set(['a/alpha']))
    expect(residency.list()[0]?.activeRequests).toBe(5)
    expect(got.filter((l) => l.loadTimeMs != null)).toHaveLength(5)
    for (const l of got) l.release()
    expect(residency.list()[0]?.status).toBe('idle')
    const again = await residency.acquire('a/alpha')
    expect(again.loadTimeMs).toBeNull()
    expect(loads).toHaveLength(1)
  })

  it('a shared JIT load reports its progress to every waiter; explicit loads too', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => {
      release = r
    })
    const { residency } = setup({
      loader: async (local, options) => {
        options.onProgress?.(0.25)
        await gate
        options.onProgress?.(0.75)
        options.onProgress?.(1)
        return new FakeModel(local.path)
      },
    })
    const a: number[] = []
    const b: number[] = []
    const first = residency.acquire('a/alpha', {
      onLoadProgress: (f) => a.push(f),
    })
    await vi.waitFor(() => expect(a).toEqual([0.25]))
    const second = residency.acquire('a/alpha', {
      onLoadProgress: (f) => {
        b.push(f)
        throw new Error('a failing listener does not stop the load')
      },
    })
    await Promise.resolve()
    release()
    const leases = await Promise.all([first, second])
    expect(a).toEqual([0.25, 0.75, 1])
    expect(b).toEqual([0.75, 1]) // it joined after the first value
    for (const l of leases) l.release()
    const explicit: number[] = []
    await residency.load('b/beta', { onProgress: (f) => explicit.push(f) })
    expect(explicit).toEqual([0.25, 0.75, 1])
    expect(residency.find('b/beta')?.parallel).toBe(8)
  })

  it('unknown model is ModelNotFoundError', async () => {
    const { residency } = setup()
    await expect(residency.acquire('zzz')).rejects.toBeInstanceOf(
      ModelNotFoundError,
    )
  })

  it('idle TTL unloads, and activity resets the timer', async () => {
    vi.useFakeTimers()
    const { residency, loads } = setup()
    const lease = await residency.acquire('alpha', { ttlSeconds: 60 })
    await vi.advanceTimersByTimeAsync(120_000)
    expect(residency.list()).toHaveLength(1) // generating: TTL not running
    lease.release()
    expect(residency.list()[0]?.ttlRemainingSeconds).toBe(60)
    await vi.advanceTimersByTimeAsync(50_000)
    ;(await residency.acquire('alpha')).release() // resets the idle clock
    await vi.advanceTimersByTimeAsync(50_000)
    expect(residency.list()).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(11_000)
    expect(residency.list()).toHaveLength(0)
    expect(loads[0]?.model.disposed).toBe(1)
  })

  it('explicit loads have no TTL unless asked; identifiers get :2 suffixes', async () => {
    vi.useFakeTimers()
    const { residency } = setup({ memoryBudgetBytes: 10_000 })
    const a = await residency.load('alpha')
    const b = await residency.load('alpha')
    const c = await residency.load('beta', {
      identifier: 'my-beta',
      ttlSeconds: 5,
    })
    expect([a.identifier, b.identifier, c.identifier]).toEqual([
      'a/alpha',
      'a/alpha:2',
      'my-beta',
    ])
    await vi.advanceTimersByTimeAsync(3_600_000)
    expect(residency.list().map((i) => i.identifier)).toEqual([
      'a/alpha',
      'a/alpha:2',
    ])
  })

  it('JIT auto-evict keeps only the last JIT model; explicit loads stay', async () => {
    const { residency, loads } = setup({ memoryBudgetBytes: 10_000 })
    await residency.load('gamma')
    ;(await residency.acquire('alpha')).release()
    ;(await residency.acquire('beta')).release()
    expect(residency.list().map((i) => i.identifier)).toEqual([
      'c/gamma',
      'b/beta',
    ])
    expect(loads[1]?.model.disposed).toBe(1)
  })

  it('JIT auto-evict never cuts a generating model: it goes when idle', async () => {
    const { residency, loads } = setup({ memoryBudgetBytes: 10_000 })
    const busy = await residency.acquire('alpha')
    ;(await residency.acquire('beta')).release()
    expect(residency.list().map((i) => i.identifier)).toEqual(['b/beta'])
    expect(loads[0]?.model.disposed).toBe(0)
    busy.release()
    await vi.waitFor(() => expect(loads[0]?.model.disposed).toBe(1))
  })

  it('memory budget evicts the least recently used idle model', async () => {
    const { residency, loads } = setup({ jitAutoEvict: false })
    ;(await residency.acquire('alpha')).release()
    ;(await residency.acquire('beta')).release()
    ;(await residency.acquire('alpha')).release() // alpha is now the most recent
    ;(await residency.acquire('gamma')).release()
    expect(
      residency
        .list()
        .map((i) => i.identifier)
        .sort(),
    ).toEqual(['a/alpha', 'c/gamma'])
    expect(loads[1]?.model.disposed).toBe(1)
  })

  it('memory budget never evicts a generating model', async () => {
    const { residency, loads } = setup({ jitAutoEvict: false })
    const a = await residency.acquire('alpha')
    const b = await residency.acquire('beta')
    await expect(residency.acquire('gamma')).rejects.toBeInstanceOf(
      InsufficientMemoryError,
    )
    expect(loads.map((l) => l.model.disposed)).toEqual([0, 0])
    b.release()
    const g = await residency.acquire('gamma')
    expect(
      residency
        .list()
        .map((i) => i.identifier)
        .sort(),
    ).toEqual(['a/alpha', 'c/gamma'])
    a.release()
    g.release()
  })

  it('unload while generating finishes the request first; dispose is idempotent', async () => {
    const { residency, loads } = setup()
    const lease = await residency.acquire('alpha')
    await residency.unload('a/alpha')
    expect(residency.list()).toHaveLength(0)
    expect(loads[0]?.model.disposed).toBe(0)
    lease.release()
    lease.release()
    await residency.dispose()
    await residency.dispose()
    expect(loads[0]?.model.disposed).toBe(1)
  })
})
