// Receipts that verify across backends (issue 14), on real SmolLM2 Q4_1:
// honest nodes running half precision on MLX's graph path pass a float32
// auditor on the custom CPU kernels (and the reverse), and the cheat set is
// caught with the same, calibrated thresholds: a Q4_0 requantization of the
// weights, two dropped transformer blocks, a 4-bit KV cache, and
// temperature 0.6 claimed as 0.8. Each run is a real node run: verified
// generation, signed receipt, output envelope, then auditReceipt. Detection
// rates over many tasks and declared dtypes: bench/audit/cheats.ts.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { executeTask } from '../../../node/executeTask.ts'
import { loadModel } from '../../../src/engine/loadModel.ts'
import type { Model } from '../../../src/engine/model.ts'
import type { ActivationDtype } from '../../../src/engine/types.ts'
import {
  auditReceipt,
  decodeSampling,
  encodeSampling,
  type PostedTask,
} from '../../../src/receipts/index.ts'
import { taskSpec, withTemperature } from '../../helpers/auditTasks.ts'
import { dropBlocks, requantizeQ4_1ToQ4_0 } from '../../helpers/cheatGguf.ts'
import { commitTask, TEST_DOMAIN } from '../../helpers/commitTask.ts'
import { smollm2Path } from '../../helpers/models.ts'

// Short outputs keep the half-precision graph path's CPU time low.
const MAX_TOKENS = 48
const short = (task: PostedTask, maxTokens = MAX_TOKENS): PostedTask => ({
  ...task,
  samplingParams: encodeSampling({
    ...decodeSampling(task.samplingParams),
    maxTokens,
  }),
})
// A greedy task and a sampled one (taskSpec 0 is greedy, 5 samples at 0.8).
const HONEST = [short(taskSpec(0).task), short(taskSpec(5).task)]

let auditor: Model
const opened: Model[] = []
async function open(
  path: string,
  o: { dtype?: ActivationDtype; kvBits?: 4 } = {},
) {
  const m = await loadModel(path, o)
  opened.push(m)
  return m
}

/** Runs `ran` on `node`, commits it as `claimed`, audits with `by`. */
async function audit(
  node: Model,
  claimed: PostedTask,
  by: Model,
  ran = claimed,
) {
  const run = await executeTask(node, ran)
  const committed = await commitTask({ task: claimed, run, model: node })
  return auditReceipt({
    model: by,
    task: claimed,
    committed,
    chainId: TEST_DOMAIN.chainId,
    market: TEST_DOMAIN.verifyingContract,
  })
}

beforeAll(async () => {
  auditor = await open(smollm2Path())
  expect(auditor.info).toMatchObject({ backend: 'cpu', dtype: 'float32' })
}, 120_000)
afterAll(async () => {
  for (const m of opened) await m.dispose()
})

describe('cross-backend audits', () => {
  it('float16 and bfloat16 nodes on the graph path pass a float32 auditor', async () => {
    for (const dtype of ['float16', 'bfloat16'] as const) {
      const node = await open(smollm2Path(), { dtype })
      expect(node.info).toMatchObject({ backend: 'cpu-graph', dtype })
      for (const task of HONEST) {
        const v = await audit(node, task, auditor)
        expect(v.receipt?.activationDtype).toBe(dtype)
        expect(v.verdict?.tolerance).toMatchObject({ dtype, pair: 'cpu' })
        expect(v.reasons).toEqual([])
      }
    }
  }, 600_000)

  it('a float32 node passes a bfloat16 auditor', async () => {
    const by = await open(smollm2Path(), { dtype: 'bfloat16' })
    for (const task of HONEST) {
      const v = await audit(auditor, task, by)
      expect(v.verdict?.tolerance).toMatchObject({ dtype: 'bfloat16' })
      expect(v.reasons).toEqual([])
    }
  }, 600_000)

  it('catches the cheat set with the same thresholds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cheats-'))
    requantizeQ4_1ToQ4_0(smollm2Path(), join(dir, 'q4_0.gguf'))
    dropBlocks(smollm2Path(), join(dir, 'drop2.gguf'), [14, 15])
    const cheaters = {
      q4_0: await open(join(dir, 'q4_0.gguf')),
      drop2: await open(join(dir, 'drop2.gguf')),
      kv4: await open(smollm2Path(), { kvBits: 4 }),
    }
    for (const [name, node] of Object.entries(cheaters))
      for (const task of HONEST) {
        // The cheater declares what it ran (float32 CPU) and the real model.
        const v = await audit(node, task, auditor)
        expect(v.guilty, `${name}: ${v.reasons}`).toBe(true)
      }
    // Temperature 0.6 run, 0.8 claimed (64 sampled tokens).
    const claimed = short(taskSpec(5).task, 64)
    const ran = withTemperature(claimed, 0.6)
    const v = await audit(auditor, claimed, auditor, ran)
    expect(v.guilty, String(v.reasons)).toBe(true)
  }, 600_000)
})
