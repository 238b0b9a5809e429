// evaluate() over prompts longer than the prefill chunk: chunks that end
// before `from` must still run their fused layers (which write the KV cache
// in place), or every later row reads an empty cache. Scored against the
// llama.cpp fp32 fixture at small chunk sizes.
import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { loadModel } from '../../../src/engine/index.ts'
import { smollm2Path } from '../../helpers/models.ts'

type Case = {
  tokens: number[]
  continuation: number[]
  from: number
  top: { ids: number[] }[]
}
const cases = JSON.parse(
  readFileSync(
    new URL('../../fixtures/smollm2-llamacpp-f32.json', import.meta.url),
    'utf8',
  ),
).cases as Case[]

describe('evaluate with prefill chunks shorter than the prompt', () => {
  for (const chunk of [1, 5]) {
    test(`prefill chunk ${chunk}: top-1 agrees with llama.cpp fp32`, async () => {
      const model = await loadModel(smollm2Path(), { prefillChunkSize: chunk })
      try {
        let agree = 0
        let total = 0
        for (const c of cases.slice(0, 2)) {
          expect(c.from).toBeGreaterThan(chunk)
          const ev = await model.evaluate([...c.tokens, ...c.continuation], {
            from: c.from,
            topK: 1,
          })
          c.top.forEach((t, r) => {
            total++
            if (ev.topIds[r] === t.ids[0]) agree++
          })
        }
        expect(agree / total).toBeGreaterThanOrEqual(0.99)
      } finally {
        await model.dispose()
      }
    }, 300_000)
  }
})
