// Every decoder family from Hugging Face checkpoints (config.json +
// safetensors in F32, BF16 and MLX-quantized 4-bit/8-bit), checked against
// the same weights written as a GGUF — the path familiesVsLlamacpp.test.ts
// holds to llama.cpp. The two loaders name, lay out and configure the
// features differently (HF Gemma norms as w vs GGUF's 1 + w, Q/K rows
// permuted for interleaved rope in GGUF, Llama 3 scaling from rope_scaling
// vs the rope_freqs tensor, LongRoPE factors from config vs tensors, fused
// Phi-3 projections), so equal logits mean the HF path implements the same
// model.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { loadModel } from '../../../src/engine/index.ts'
import {
  TINY_FAMILIES,
  type TinyFamily,
  teacherTokens,
} from '../../helpers/tinyFamilies.ts'
import { writeTinyFamilyGguf } from '../../helpers/tinyFamilyGguf.ts'
import {
  type TinyFamilyHfOptions,
  writeTinyFamilyCheckpoint,
} from '../../helpers/tinyFamilyHf.ts'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-families-hf-'))
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

const VARIANTS: [string, TinyFamilyHfOptions][] = [
  ['F32', {}],
  ['BF16', { dtype: 'BF16' }],
  ['MLX 4-bit g64', { quantize: { bits: 4, group: 64 } }],
  ['MLX 8-bit g32', { quantize: { bits: 8, group: 32 } }],
]
const tokens = teacherTokens()

describe.each(TINY_FAMILIES)('%s from config.json', (family: TinyFamily) => {
  test.each(VARIANTS)(
    '%s equals the same weights as GGUF',
    async (name, options) => {
      const path = join(dir, `${family}-${name.replaceAll(' ', '-')}`)
      const { weights } = writeTinyFamilyCheckpoint(path, family, options)
      writeTinyFamilyGguf(`${path}.gguf`, family, { weights })
      await using hf = await loadModel(path)
      await using gguf = await loadModel(`${path}.gguf`)
      expect(hf.info.format).toBe('safetensors')
      expect(hf.info.architecture).toBe(family)
      const a = await hf.evaluate(tokens, { from: 0, topK: 4 })
      const b = await gguf.evaluate(tokens, { from: 0, topK: 4 })
      let maxDiff = 0
      for (let r = 0; r < a.rows; r++) {
        expect(a.topIds[r * 4], `row ${r}`).toBe(b.topIds[r * 4])
        maxDiff = Math.max(
          maxDiff,
          Math.abs(
            (a.topLogits[r * 4] as number) - (b.topLogits[r * 4] as number),
          ),
        )
      }
      expect(maxDiff).toBeLessThan(1e-4)
    },
  )
})
