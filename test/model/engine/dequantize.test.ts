// Every GGUF tensor type, as the engine holds it in MLX, dequantized and
// compared with llama.cpp's own dequantize_row_* (fixture from
// scripts/fixtures/dequant.sh): bit-identical for the exactly mapped types,
// within 8-bit requantization error for the converted ones.
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  QUANT_TENSOR_COLS,
  writeQuantTensors,
} from '../../../scripts/fixtures/writeQuantTensors.ts'
import { native } from '../../../src/engine/native.ts'

type Fixture = {
  fileSha256: string
  tensors: Record<
    string,
    { type: string; sha256: string; head: number[]; values?: number[] }
  >
}
const fixture = JSON.parse(
  readFileSync(
    new URL('../../fixtures/dequant-llamacpp.json', import.meta.url),
    'utf8',
  ),
) as Fixture

const CONVERTED = new Set(['Q2_K', 'Q3_K', 'Q6_K'])
let dir: string
let path: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-dequant-'))
  path = join(dir, 'quant-tensors.gguf')
  writeQuantTensors(path)
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function canonicalSha(values: Float32Array): string {
  const copy = Float32Array.from(values, (v) => (v === 0 ? 0 : v))
  return createHash('sha256').update(Buffer.from(copy.buffer)).digest('hex')
}

test('the test writes the same file the fixture was made from', () => {
  const sha = createHash('sha256').update(readFileSync(path)).digest('hex')
  expect(sha).toBe(fixture.fileSha256)
})

describe.each([8, 5] as const)('5-bit types stored as %i-bit', (fiveBitAs) => {
  for (const [name, ref] of Object.entries(fixture.tensors)) {
    if (CONVERTED.has(ref.type)) {
      test(`${ref.type} is requantized to 8 bits within 0.6 of a step of llama.cpp`, async () => {
        const t = await native().dequantizeGgufTensor({ path, name, fiveBitAs })
        expect(t.exact).toBe(false)
        expect(t.mappedTo).toBe('affine 8-bit g32 (converted)')
        const want = ref.values as number[]
        let worst = 0
        for (let g = 0; g < want.length; g += 32) {
          const group = want.slice(g, g + 32)
          const step = (Math.max(...group) - Math.min(...group)) / 255
          for (let j = 0; j < 32; j++) {
            const err = Math.abs(
              (t.values[g + j] as number) - (group[j] as number),
            )
            worst = Math.max(worst, step > 0 ? err / step : err)
          }
        }
        // Half a step, plus the half-precision rounding of the group's minimum.
        expect(worst).toBeLessThanOrEqual(0.6)
      })
      continue
    }
    test(`${ref.type} dequantizes bit-identically to llama.cpp`, async () => {
      const t = await native().dequantizeGgufTensor({ path, name, fiveBitAs })
      expect(t.type).toBe(ref.type)
      expect(t.exact).toBe(true)
      expect(t.shape.at(-1)).toBe(QUANT_TENSOR_COLS)
      // -0 and +0 are the same value (MLX's mxfp4 code 8 is -0).
      const head = Array.from(t.values.slice(0, 8), (v) => (v === 0 ? 0 : v))
      expect(head).toEqual(ref.head)
      expect(canonicalSha(t.values)).toBe(ref.sha256)
      if (ref.type.startsWith('Q5') && fiveBitAs === 5)
        expect(t.mappedTo).toBe('affine 5-bit g32 (exact)')
    })
  }
})
