// Qwen3.5's recurrent (Gated DeltaNet) state where the engine gets clever:
// prompt chunks, continuous batching, prefix reuse and speculative decoding.
// Each is compared with the plain computation on a tiny random GGUF
// (test/helpers/tinyQwen35Gguf.ts).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  type GenerateOptions,
  loadModel,
  type Model,
  PROMPT_LOOKUP,
} from '../../../src/engine/index.ts'
import { prng, teacherTokens } from '../../helpers/tinyFamilies.ts'
import { writeTinyQwen35Gguf } from '../../helpers/tinyQwen35Gguf.ts'

let dir: string
let path: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-qwen35-state-'))
  path = join(dir, 'qwen35.gguf')
  writeTinyQwen35Gguf(path, 'qwen35', 'F32')
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

// Lowercase letters only (byte tokens 'a'..'z' = ids 100..125), so decoded
// text re-encodes to the same ids and nothing stops early.
const LETTERS = Array.from({ length: 26 }, (_, i) => 3 + 97 + i)
const logitBias = Object.fromEntries(
  Array.from({ length: 259 }, (_, id) => id)
    .filter((id) => !LETTERS.includes(id))
    .map((id) => [id, -100]),
)
const letters = (seed: number, n: number) => {
  const r = prng(seed)
  return Array.from({ length: n }, () =>
    String.fromCharCode(97 + Math.floor(r() * 26)),
  ).join('')
}

async function greedy(model: Model, prompt: string, options: GenerateOptions) {
  const stream = model.generate(prompt, {
    raw: true,
    temperature: 0,
    logitBias,
    ...options,
  })
  let text = ''
  for await (const chunk of stream) text += chunk.text
  return { ...(await stream.result), text }
}

test('teacher forcing in 7-token chunks equals one pass', async () => {
  const tokens = teacherTokens(11, 120)
  await using one = await loadModel(path, { prefillChunkSize: 512 })
  await using small = await loadModel(path, { prefillChunkSize: 7 })
  const a = await one.evaluate(tokens, { from: 0, topK: 2 })
  const b = await small.evaluate(tokens, { from: 0, topK: 2 })
  let maxDiff = 0
  for (let r = 0; r < a.rows; r++) {
    expect(b.topIds[r * 2], `row ${r}`).toBe(a.topIds[r * 2])
    maxDiff = Math.max(
      maxDiff,
      Math.abs((a.topLogits[r * 2] as number) - (b.topLogits[r * 2] as number)),
    )
  }
  expect(maxDiff).toBeLessThan(1e-3)
})

describe('generation', () => {
  let model: Model
  beforeAll(async () => {
    model = await loadModel(path)
  })
  afterAll(async () => {
    await model?.dispose()
  })

  test('streams batched together decode what each decodes alone', async () => {
    const prompts = [letters(2, 30), letters(3, 45), letters(4, 20)]
    const options = { maxTokens: 40, promptCache: false }
    const alone = []
    for (const p of prompts)
      alone.push((await greedy(model, p, options)).tokenIds)
    const together = await Promise.all(
      prompts.map((p) => greedy(model, p, options)),
    )
    expect(together.map((r) => r.tokenIds)).toEqual(alone)
  })

  test('the prefix cache is reused only at its exact end', async () => {
    const a = letters(5, 40)
    const first = await greedy(model, a, { maxTokens: 20 })
    // Shares 20 tokens with a cache whose state is 60 tokens on: read again.
    const b = `${a.slice(0, 20)}${letters(6, 25)}`
    const cold = await greedy(model, b, { maxTokens: 20, promptCache: false })
    const warm = await greedy(model, b, { maxTokens: 20 })
    expect(warm.cachedTokens).toBe(0)
    expect(warm.tokenIds).toEqual(cold.tokenIds)
    // Continuing the conversation picks the state up where it ended.
    const c = `${a}${first.text}${letters(7, 10)}`
    const coldC = await greedy(model, c, { maxTokens: 20, promptCache: false })
    const warmC = await greedy(model, c, { maxTokens: 20 })
    expect(warmC.cachedTokens).toBeGreaterThanOrEqual(59)
    expect(warmC.tokenIds).toEqual(coldC.tokenIds)
  })

  test('speculative decoding is refused with a clear error', async () => {
    await expect(
      greedy(model, letters(8, 20), {
        maxTokens: 5,
        draftModel: PROMPT_LOOKUP,
      }),
    ).rejects.toThrow(/recurrent/)
  })
})
