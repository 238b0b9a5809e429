// A short, bounded version of `npm run bench:loadtest`: 8 concurrent
// streaming clients against the real server and SmolLM2, a third of them
// disconnecting mid-stream. Bounded by a request budget, not by time. The
// server must answer without errors, cancel every generation whose client
// left (or have finished it before the disconnect arrived), and end with no
// generation still active.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  checkCancellations,
  fetchGenerationStats,
  runLoadClients,
  waitForIdle,
} from '../../../bench/lib/loadClients.ts'
import { SMOL_KEY, startRealServer } from '../../helpers/realServer.ts'

let srv: Awaited<ReturnType<typeof startRealServer>>

beforeAll(async () => {
  srv = await startRealServer({ residencyOptions: { defaultParallel: 8 } })
})
afterAll(() => srv?.close())

/** Deterministic uniform [0, 1) (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('8 concurrent streams with random disconnects', () => {
  it('has no errors, cancels what clients abandon and ends idle', async () => {
    // JIT-load before counting, so the load is not part of the run.
    await fetch(`${srv.url}/api/v1/models/load`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: SMOL_KEY }),
    })
    const before = await fetchGenerationStats(srv.url)
    let budget = 24
    const tally = await runLoadClients({
      url: srv.url,
      model: SMOL_KEY,
      streams: 8,
      maxTokens: 24,
      disconnectP: 0.35,
      keepGoing: () => budget-- > 0,
      random: seeded(9),
    })
    const after = await waitForIdle(srv.url)
    const check = checkCancellations(before, after, tally)

    expect(tally.requests).toBe(24)
    expect(tally.errorMessages).toEqual([])
    expect(tally.errors + tally.clientErrors).toBe(0)
    expect(check.failed).toBe(0)
    expect(tally.disconnects).toBeGreaterThan(0)
    expect(check.cancelled).toBeGreaterThan(0)
    // Every disconnect was cancelled, or raced with the last token and
    // ended as a normal completion; nothing was left running.
    expect(check.started).toBe(tally.requests)
    expect(check.cancelled + check.raced).toBe(tally.disconnects)
    expect(check.completed).toBe(tally.finished + check.raced)
    expect(check.raced).toBeGreaterThanOrEqual(0)
    expect(after.activeGenerations).toBe(0)
    const inst = (await (await fetch(`${srv.url}/api/v1/stats`)).json()) as {
      instances: { activeRequests: number }[]
    }
    expect(inst.instances.every((i) => i.activeRequests === 0)).toBe(true)
  })
})
