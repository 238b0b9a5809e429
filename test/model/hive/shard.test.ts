// One model across processes: SmolLM2's 30 layers pipeline-sharded over 2
// and 3 rank processes on MLX's ring backend (127.0.0.1) give the same greedy
// tokens as one process; a rank killed (or frozen) mid-generation makes the
// coordinator re-plan on the survivors and finish with the same tokens, or
// fail with a clear error, within bounded time (the coordinator's heartbeat
// and restart limits; vitest's 120 s per test is the outer bound). Every rank
// process is gone after each test.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, test } from 'vitest'
import { native } from '../../../src/engine/native.ts'
import {
  type RankSpawnArgs,
  spawnLocalRank,
} from '../../../src/hive/shardRank.ts'
import {
  ShardCluster,
  ShardError,
  type ShardEvent,
  type ShardRequest,
} from '../../../src/hive/shardRun.ts'
import { smollm2Path } from '../../helpers/models.ts'
import { writeTinyFamilyGguf } from '../../helpers/tinyFamilyGguf.ts'

const PROMPT = [1, 9690, 314, 253, 1345, 30, 198, 504, 3458, 282, 4649, 314]
const MAX_TOKENS = 40
const GREEDY: ShardRequest = {
  tokens: PROMPT,
  temperature: 0,
  maxTokens: MAX_TOKENS,
}

let reference: number[]
let sampledReference: number[]
let graphReference: number[]
let singleBytes = 0
const SAMPLED: ShardRequest = { ...GREEDY, temperature: 0.8, seed: 7 }
const clusters: ShardCluster[] = []
const pids: number[] = []

function members(n: number, free: number[] = []) {
  return Array.from({ length: n }, (_, i) => ({
    id: `m${i}`,
    freeMemoryBytes: free[i] ?? 1,
  }))
}

async function start(n: number, extra: Record<string, unknown> = {}) {
  const cluster = await ShardCluster.start({
    modelPath: smollm2Path(),
    members: members(n),
    ...extra,
  })
  clusters.push(cluster)
  pids.push(...(Object.values(cluster.pids()) as number[]))
  return cluster
}

// Collects a stream; `onToken(count)` runs after each token (to kill a rank).
async function collect(
  stream: AsyncGenerator<ShardEvent>,
  onToken?: (count: number) => void,
) {
  const tokens: number[] = []
  const events: ShardEvent[] = []
  for await (const e of stream) {
    events.push(e)
    if (e.type === 'token') {
      tokens.push(e.token)
      onToken?.(tokens.length)
    }
  }
  return { tokens, events }
}

function alive(pid: number) {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

// The same request in one process, on the engine's ordinary path.
async function singleProcess(
  request: ShardRequest,
  path = smollm2Path(),
): Promise<number[]> {
  const model = await native().loadModel({
    path,
    format: 'gguf',
  })
  const out: number[] = []
  await new Promise<void>((resolve, reject) =>
    model.generate(
      { ...request, tokens: Int32Array.from(request.tokens) },
      (e) => {
        if (e.type === 'token') out.push(e.token)
        else if (e.type === 'done') resolve()
        else if (e.type === 'error') reject(e.error)
      },
    ),
  )
  if (path === smollm2Path()) singleBytes = model.info.nbytes
  await model.unload()
  return out
}

beforeAll(async () => {
  reference = await singleProcess(GREEDY)
  sampledReference = await singleProcess(SAMPLED)
  await native().setGraphPath(true)
  graphReference = await singleProcess(GREEDY)
  await native().setGraphPath(false)
  expect(reference.length).toBe(MAX_TOKENS)
  expect(sampledReference.length).toBe(MAX_TOKENS)
  expect(sampledReference).not.toEqual(reference)
})

afterEach(async () => {
  await Promise.all(clusters.splice(0).map((c) => c.close()))
  // No rank process outlives its test.
  expect(pids.splice(0).filter(alive)).toEqual([])
})

describe('pipeline sharding on the MLX ring', () => {
  test.each([2, 3])(
    '%i ranks give the single-process greedy tokens',
    async (n) => {
      const cluster = await start(n)
      expect(
        cluster.plan?.ranks.map((r) => [r.layerStart, r.layerEnd]),
      ).toEqual(
        n === 2
          ? [
              [0, 15],
              [15, 30],
            ]
          : [
              [0, 10],
              [10, 20],
              [20, 30],
            ],
      )
      // Each rank holds only its layers (+ embeddings / head at the ends).
      const bytes = Object.values(cluster.rankBytes())
      expect(bytes).toHaveLength(n)
      for (const b of bytes) expect(b).toBeLessThan(singleBytes * 0.8)
      const { tokens, events } = await collect(cluster.generate(GREEDY))
      expect(tokens).toEqual(reference)
      const done = events.at(-1)
      expect(done?.type).toBe('done')
      expect(done?.type === 'done' && done.stats.stopReason).toBe('maxTokens')
      // The same ranks serve a second request (caches are per request).
      const again = await collect(cluster.generate({ ...GREEDY, maxTokens: 8 }))
      expect(again.tokens).toEqual(reference.slice(0, 8))
    },
  )

  test('on the graph path (MLX ops, no custom CPU kernels) too', async () => {
    const cluster = await start(2, {
      spawnRank: (a: RankSpawnArgs) =>
        spawnLocalRank({ ...a, env: { ...a.env, POCKET_GRAPH_PATH: '1' } }),
    })
    const { tokens } = await collect(cluster.generate(GREEDY))
    expect(tokens).toEqual(graphReference)
  })

  test('seeded sampling: same stream as one process, across a restart', async () => {
    const cluster = await start(3)
    const { tokens, events } = await collect(
      cluster.generate(SAMPLED),
      (count) => {
        if (count === 8) process.kill(cluster.pids().m2 as number, 'SIGKILL')
      },
    )
    expect(events.some((e) => e.type === 'replan')).toBe(true)
    expect(tokens).toEqual(sampledReference)
  })

  test.each(['gemma3', 'phi3'] as const)(
    'another family (%s) split over 2 ranks gives its single-process tokens',
    async (family) => {
      // Gemma 3: sandwich norms, q/k norms, sliding windows the 40 positions
      // pass; Phi-3: fused QKV and gate/up, an untied head.
      const dir = mkdtempSync(join(tmpdir(), 'pocket-shard-'))
      const path = join(dir, `${family}.gguf`)
      writeTinyFamilyGguf(path, family, { seed: 3 })
      const request = {
        tokens: [1, 40, 50, 60, 70, 80],
        temperature: 0,
        maxTokens: 34,
      }
      try {
        const single = await singleProcess(request, path)
        expect(single.length).toBeGreaterThan(0)
        const cluster = await start(2, { modelPath: path })
        expect((await collect(cluster.generate(request))).tokens).toEqual(
          single,
        )
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  )

  test('layers follow free memory', async () => {
    const cluster = await ShardCluster.start({
      modelPath: smollm2Path(),
      members: members(2, [2, 1]),
    })
    clusters.push(cluster)
    pids.push(...(Object.values(cluster.pids()) as number[]))
    expect(cluster.plan?.ranks.map((r) => r.layerEnd - r.layerStart)).toEqual([
      20, 10,
    ])
    const { tokens } = await collect(cluster.generate(GREEDY))
    expect(tokens).toEqual(reference)
  })

  test('a rank killed mid-generation: re-planned on the survivors, same tokens', async () => {
    const cluster = await start(3)
    const { tokens, events } = await collect(
      cluster.generate(GREEDY),
      (count) => {
        if (count !== 8) return
        process.kill(cluster.pids().m1 as number, 'SIGKILL')
      },
    )
    expect(tokens).toEqual(reference)
    const replan = events.find((e) => e.type === 'replan')
    expect(replan?.type === 'replan' && replan.lost).toEqual(['m1'])
    expect(
      replan?.type === 'replan' && replan.plan.ranks.map((r) => r.memberId),
    ).toEqual(['m0', 'm2'])
    const done = events.at(-1)
    expect(done?.type === 'done' && done.restarts).toBe(1)
  })

  test('a frozen rank (no heartbeat) is dropped the same way', async () => {
    const cluster = await start(2, { heartbeatTimeoutMs: 1_500 })
    let frozen = 0
    const { tokens, events } = await collect(
      cluster.generate(GREEDY),
      (count) => {
        if (count !== 5) return
        frozen = cluster.pids().m0 as number
        process.kill(frozen, 'SIGSTOP')
      },
    )
    expect(tokens).toEqual(reference)
    const replan = events.find((e) => e.type === 'replan')
    expect(replan?.type === 'replan' && replan.lost).toEqual(['m0'])
    expect(replan?.type === 'replan' && replan.reason).toMatch(/no heartbeat/)
    expect(alive(frozen)).toBe(false) // killed, not left stopped
  })

  test('when the restarts run out, a clear error instead of a hang', async () => {
    const cluster = await start(2, { maxRestarts: 0 })
    const error = await collect(cluster.generate(GREEDY), (count) => {
      if (count === 4) process.kill(cluster.pids().m1 as number, 'SIGKILL')
    }).catch((e) => e)
    expect(error).toBeInstanceOf(ShardError)
    expect(error.code).toBe('E_SHARD_FAILED')
    expect(error.message).toMatch(/m1: killed by SIGKILL/)
  })

  test('a bad request fails alike on every rank and leaves the group usable', async () => {
    const cluster = await start(2)
    const error = await collect(
      cluster.generate({ ...GREEDY, tokens: [1, 10_000_000] }),
    ).catch((e) => e)
    expect(error).toBeInstanceOf(ShardError)
    expect(error.code).toBe('E_INVALID_ARG')
    expect(error.message).toMatch(/out of range/)
    const { tokens } = await collect(
      cluster.generate({ ...GREEDY, maxTokens: 6 }),
    )
    expect(tokens).toEqual(reference.slice(0, 6))
  })
})
