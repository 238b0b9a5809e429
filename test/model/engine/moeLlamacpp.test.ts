// Mixture-of-experts families (Qwen3-MoE, Mixtral, gpt-oss) against
// llama.cpp on the same tiny random-weight GGUFs: the test writes each file
// (test/helpers/tinyMoeGguf.ts), checks it is byte-identical to the one
// llama.cpp ran (sha256 in the fixture), and compares teacher-forced top-1
// ids and logits (fixture: `bash scripts/fixtures/moe.sh`).
// llama.cpp rounds activations to 8 bits (Q8_0/Q8_K) or to F16 in its
// quantized/F16 matmuls while we keep fp32, so near-ties can flip.
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { loadModel } from '../../../src/engine/index.ts'
import {
  agreement,
  formatAgreement as fmt,
  moeFixture,
} from '../../helpers/moeFixture.ts'
import {
  type MoeFamily,
  type MoeQuant,
  writeTinyMoeGguf,
} from '../../helpers/tinyMoeGguf.ts'

let root: string
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pocket-moe-'))
})
afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})

const results: string[] = []
afterAll(() => {
  console.log(
    `family × type vs llama.cpp: top-1 agreement, max |Δ top-1 logit|\n${results.join('\n')}`,
  )
})

// [family, type mix, top-1 agreement required vs llama.cpp on the file as
// is]. Against the dequantized copy every exactly-mapped mix must agree
// ≥ 99% with logits within 0.02; Q4_K_M holds Q6_K, which the engine converts
// to 8 bits at load (see README), so there the drift is reported and held to
// the same bar as the file itself. On the file as is, llama.cpp's 8-bit
// activation rounding flips near-ties of these flat random-weight logits:
// Q8_0 measures 95-98% (as llama.cpp's own F32 copy agrees 100%).
const SPECS: [MoeFamily, MoeQuant, number][] = [
  ['qwen3moe', 'F16', 0.99],
  ['qwen3moe', 'Q8_0', 0.93],
  ['qwen3moe', 'Q4_K', 0.9],
  ['qwen3moe', 'Q4_K_M', 0.9],
  ['mixtral', 'F16', 0.99],
  ['mixtral', 'Q8_0', 0.93],
  ['mixtral', 'Q4_K', 0.9],
  ['mixtral', 'Q4_K_M', 0.9],
  ['gpt-oss', 'F16', 0.99],
  ['gpt-oss', 'Q8_0', 0.93],
  ['gpt-oss', 'MXFP4', 0.9],
]
const CONVERTED = new Set<MoeQuant>(['Q4_K_M'])

describe('MoE families vs llama.cpp', () => {
  for (const [family, quant, threshold] of SPECS) {
    test(`${family} ${quant}: matches llama.cpp on the dequantized weights and on the file (≥ ${threshold * 100}%)`, async () => {
      const name = `tiny-${family}-${quant}.gguf`
      const ref = moeFixture(name)
      const path = join(root, name)
      writeTinyMoeGguf(path, family, quant)
      const sha = createHash('sha256').update(readFileSync(path)).digest('hex')
      expect(sha, 'the writer reproduces the file llama.cpp ran').toBe(
        ref.sha256,
      )
      await using model = await loadModel(path)
      expect(model.info.architecture).toBe(
        family === 'mixtral' ? 'llama' : family,
      )
      const evals = []
      for (const c of ref.cases) {
        const ev = await model.evaluate(c.tokens, { from: 0, topK: 2 })
        expect(ev.rows).toBe(c.top.length)
        evals.push(ev)
      }
      const f32 = agreement(
        evals,
        ref.cases.map((c) => c.topF32 ?? []),
      )
      const asIs = agreement(
        evals,
        ref.cases.map((c) => c.top),
      )
      results.push(
        `${family.padEnd(9)} ${quant.padEnd(7)} dequantized: ${fmt(f32)}   as is: ${fmt(asIs)}`,
      )
      if (CONVERTED.has(quant)) {
        expect(f32.agree / f32.total).toBeGreaterThanOrEqual(threshold)
      } else {
        // Same weights in fp32 on both sides: only summation order differs.
        expect(f32.agree / f32.total).toBeGreaterThanOrEqual(0.99)
        expect(f32.maxDiff).toBeLessThan(0.02)
      }
      expect(asIs.agree / asIs.total).toBeGreaterThanOrEqual(threshold)
    })
  }
})
