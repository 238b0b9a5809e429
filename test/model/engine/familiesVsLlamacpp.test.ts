// Every decoder family against llama.cpp, the independent reference: the
// tiny random-weight GGUF of each family (test/helpers/tinyFamilyGguf.ts) in
// F32, F16 and Q8_0 is rebuilt byte for byte (sha256 checked), our engine
// teacher-forces the same 48 tokens, and the top-1 next token and its logit
// are compared row by row with the committed llama.cpp logits
// (scripts/fixtures/tiny-families.sh; `npm run fixtures:families`).
// Two references per F16/Q8_0 file: llama.cpp on an F32 copy with the same
// (dequantized) weights — the strict check of the model math, >= 99% — and
// llama.cpp on the file as is, whose F16/Q8_0 matmuls also round the
// activations (we keep them in fp32), so near-ties may flip there.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { loadModel } from '../../../src/engine/index.ts'
import type { GgmlType } from '../../helpers/ggmlTensor.ts'
import type { TinyFamily } from '../../helpers/tinyFamilies.ts'
import { writeTinyFamilyGguf } from '../../helpers/tinyFamilyGguf.ts'

type Top = { ids: number[]; logits: number[] }
type Case = {
  family: TinyFamily
  type: GgmlType
  sha256: string
  tokens: number[]
  top: Top[]
  topF32?: Top[]
}
const fixture: { cases: Case[] } = JSON.parse(
  readFileSync(
    new URL('../../fixtures/tiny-families-llamacpp.json', import.meta.url),
    'utf8',
  ),
)

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-families-'))
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

function compare(ids: Int32Array, logits: Float32Array, k: number, ref: Top[]) {
  let agree = 0
  let maxDiff = 0
  ref.forEach((row, r) => {
    if (ids[r * k] === row.ids[0]) agree++
    maxDiff = Math.max(
      maxDiff,
      Math.abs((logits[r * k] as number) - (row.logits[0] as number)),
    )
  })
  return { agree: agree / ref.length, maxDiff }
}

const results: string[] = []
afterAll(() => {
  console.log(
    [
      'family   type  same-weights F32 ref (top-1, max |dlogit|)  file as is',
      ...results,
    ].join('\n'),
  )
})

describe.each(fixture.cases)('$family $type', (c) => {
  test('matches llama.cpp teacher-forced', async () => {
    const path = join(dir, `${c.family}-${c.type}.gguf`)
    const { sha256 } = writeTinyFamilyGguf(path, c.family, { type: c.type })
    expect(sha256, 'the writer reproduces the fixture file').toBe(c.sha256)
    await using model = await loadModel(path)
    expect(model.info.architecture).toBe(c.family)
    const ev = await model.evaluate(c.tokens, { from: 0, topK: 8 })
    expect(ev.rows).toBe(c.tokens.length)
    const strict = compare(ev.topIds, ev.topLogits, ev.topK, c.topF32 ?? c.top)
    const asIs = compare(ev.topIds, ev.topLogits, ev.topK, c.top)
    results.push(
      `${c.family.padEnd(8)} ${c.type.padEnd(5)} ${(strict.agree * 100).toFixed(1)}%  ${strict.maxDiff.toFixed(5)}                      ${(asIs.agree * 100).toFixed(1)}%  ${asIs.maxDiff.toFixed(4)}`,
    )
    expect(strict.agree).toBeGreaterThanOrEqual(0.99)
    expect(strict.maxDiff).toBeLessThan(2e-3)
    expect(asIs.agree).toBeGreaterThanOrEqual(0.9)
    expect(asIs.maxDiff).toBeLessThan(0.1)
  })
})
