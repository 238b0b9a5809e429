// The integer-dot decode kernels (native/src/qmm_q8.cpp) promise the same
// logits on every instruction set: integer dot products are exact and the
// float parts run in one fixed order. Each path runs in its own process
// (POCKET_CPU_ISA is read once); greedy tokens and every logprob must be
// bit-identical. Float32 activations must differ, which shows the 8-bit path
// is the one being compared. The default (8-bit at the LM head only) decodes
// batched streams with the greedy tokens they get alone.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, test } from 'vitest'

const CHILD = join(import.meta.dirname, 'fixtures', 'decodeLogprobs.ts')
const REQUEST = {
  prompts: ['The capital of France is', 'def fibonacci(n):'],
  maxTokens: 12,
  load: { decodeActivations: 'int8' },
}

type Decoded = {
  isa: string
  runs: { tokenIds: number[]; logprobs: unknown[] }[]
}

async function decode(
  env: Record<string, string>,
  request: object = REQUEST,
): Promise<Decoded> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [CHILD, JSON.stringify(request)],
    { env: { ...process.env, ...env }, maxBuffer: 1 << 24 },
  )
  const lines = stdout.trim().split('\n')
  return JSON.parse(lines[lines.length - 1] as string)
}

type Top = { top: { logprob: number }[] }[]

function maxLogprobGap(a: Decoded, b: Decoded): number {
  let gap = 0
  for (const [i, run] of a.runs.entries()) {
    const steps = (b.runs[i]?.logprobs ?? []) as Top[]
    for (const [j, step] of (run.logprobs as Top[]).entries()) {
      const other = steps[j]?.[0]?.top ?? []
      for (const [k, t] of (step[0]?.top ?? []).entries())
        gap = Math.max(gap, Math.abs(t.logprob - (other[k]?.logprob ?? 1e9)))
    }
  }
  return gap
}

describe('integer-dot decode kernels across instruction sets', () => {
  let scalar: Decoded
  beforeAll(async () => {
    scalar = await decode({ POCKET_CPU_ISA: 'scalar' })
  }, 300_000)

  test('the scalar path decodes', () => {
    expect(scalar.isa).toBe('scalar')
    for (const r of scalar.runs) expect(r.tokenIds).toHaveLength(12)
  })

  for (const isa of ['avx2', 'avx512']) {
    test(`${isa} gives bit-identical logprobs to the scalar path`, async (ctx) => {
      const wide = await decode({ POCKET_CPU_ISA: isa })
      // A CPU without this instruction set runs a narrower path instead.
      if (wide.isa !== isa) ctx.skip()
      expect(wide.runs).toEqual(scalar.runs)
    }, 300_000)
  }

  test('float32 activations give different logprobs (the 8-bit path is on)', async () => {
    const f32 = await decode(
      {},
      { ...REQUEST, load: { decodeActivations: 'float32' } },
    )
    expect(f32.runs).not.toEqual(scalar.runs)
  }, 300_000)

  test('the default (8-bit LM head) decodes batched streams as it does them alone', async () => {
    // A batched step computes attention over several streams' rows, which
    // moves float32 results in their last bits; 8-bit activations everywhere
    // can turn that into logprob changes of tenths, at the head alone into
    // hundredths: greedy tokens stay the same.
    const head = { ...REQUEST, load: { parallel: 4 } }
    const [alone, together] = await Promise.all([
      decode({}, head),
      decode({}, { ...head, concurrent: true }),
    ])
    expect(together.runs.map((r) => r.tokenIds)).toEqual(
      alone.runs.map((r) => r.tokenIds),
    )
    expect(maxLogprobGap(alone, together)).toBeLessThan(0.1)
    expect(alone.runs).not.toEqual(scalar.runs) // not the int8-everywhere path
  }, 300_000)
})
