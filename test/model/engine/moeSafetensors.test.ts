// MoE families from Hugging Face safetensors: transformers' layouts
// (per-expert tensors; gpt-oss's fused, interleaved gate_up_proj) and
// mlx-lm's (stacked switch_mlp / experts, MLX 4-bit group 64 with 8-bit
// routers, as mlx-community checkpoints are). Each tiny checkpoint comes
// with an F32 GGUF of the same weights (the quantized ones: their
// dequantized values) that llama.cpp ran (scripts/fixtures/moe.sh).
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { loadModel } from '../../../src/engine/index.ts'
import {
  agreement,
  formatAgreement,
  moeFixture,
} from '../../helpers/moeFixture.ts'
import {
  type HfMoeFamily,
  writeTinyMoeCheckpoint,
} from '../../helpers/tinyMoeCheckpoint.ts'

let root: string
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pocket-moe-hf-'))
})
afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})

const SPECS: [HfMoeFamily, 'hf' | 'mlx', boolean][] = [
  ['qwen3_moe', 'hf', false],
  ['qwen3_moe', 'mlx', true],
  ['mixtral', 'hf', false],
  ['mixtral', 'mlx', true],
  ['gpt_oss', 'hf', false],
  ['gpt_oss', 'mlx', true],
]

describe('MoE safetensors checkpoints vs llama.cpp on the same weights', () => {
  for (const [family, layout, quantized] of SPECS) {
    const label = `${family} ${layout === 'hf' ? 'transformers layout, float' : 'mlx-lm layout, 4-bit'}`
    test(`${label}: top-1 ≥ 99%, logits within 0.02`, async () => {
      const tag = `${family}-${layout}${quantized ? '4' : ''}`
      const ref = moeFixture(`hf-${tag}.gguf`)
      const dir = join(root, tag)
      const gguf = join(root, `${tag}.gguf`)
      writeTinyMoeCheckpoint(dir, gguf, family, {
        layout,
        ...(quantized ? { quantize: { bits: 4, group: 64 } } : {}),
      })
      expect(
        createHash('sha256').update(readFileSync(gguf)).digest('hex'),
        'the writer reproduces the weights llama.cpp ran',
      ).toBe(ref.sha256)
      await using model = await loadModel(dir)
      expect(model.info.format).toBe('safetensors')
      expect(model.info.architecture).toBe(family)
      expect(model.info.quantization).toBe(quantized ? '4bit' : 'float32')
      const evals = []
      for (const c of ref.cases)
        evals.push(await model.evaluate(c.tokens, { from: 0, topK: 2 }))
      const a = agreement(
        evals,
        ref.cases.map((c) => c.top),
      )
      console.log(`${label}: ${formatAgreement(a)}`)
      expect(a.agree / a.total).toBeGreaterThanOrEqual(0.99)
      expect(a.maxDiff).toBeLessThan(0.02)
    })
  }
})

test('gpt_oss original MXFP4 release layout (*_blocks, *_scales): matches llama.cpp on the same MXFP4 experts', async () => {
  const ref = moeFixture('hf-gpt_oss-hf-mxfp4.gguf')
  const dir = join(root, 'gpt_oss-mxfp4')
  const gguf = join(root, 'gpt_oss-mxfp4.gguf')
  writeTinyMoeCheckpoint(dir, gguf, 'gpt_oss', { layout: 'hf', mxfp4: true })
  expect(createHash('sha256').update(readFileSync(gguf)).digest('hex')).toBe(
    ref.sha256,
  )
  await using model = await loadModel(dir)
  const evals = []
  for (const c of ref.cases)
    evals.push(await model.evaluate(c.tokens, { from: 0, topK: 2 }))
  // Against llama.cpp on the dequantized copy: the same numbers in fp32.
  const a = agreement(
    evals,
    ref.cases.map((c) => c.topF32 ?? []),
  )
  console.log(`gpt_oss MXFP4 release layout: ${formatAgreement(a)}`)
  expect(a.agree / a.total).toBeGreaterThanOrEqual(0.99)
  expect(a.maxDiff).toBeLessThan(0.02)
})
