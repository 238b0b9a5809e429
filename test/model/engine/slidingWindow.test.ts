// Sliding-window attention (Gemma 3: 5 of 6 layers see 16 positions here;
// Gemma 2: every other layer, with soft-capping) stays correct where the
// engine gets clever: KV caches that drop rows older than the window, prompt
// chunks narrower or wider than the window, continuous batching, prefix
// reuse, speculative decoding. Each is compared with the plain computation.
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
import { writeTinyFamilyGguf } from '../../helpers/tinyFamilyGguf.ts'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-swa-'))
  writeTinyFamilyGguf(join(dir, 'gemma3.gguf'), 'gemma3')
  writeTinyFamilyGguf(join(dir, 'gemma2.gguf'), 'gemma2')
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

// Completions of lowercase letters only (byte tokens 'a'..'z' = ids 100..125),
// so decoded text re-encodes to the same ids and nothing stops them early.
const LETTERS = Array.from({ length: 26 }, (_, i) => 3 + 97 + i)
const logitBias = Object.fromEntries(
  Array.from({ length: 320 }, (_, id) => id)
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

describe.each(['gemma3', 'gemma2'])('%s', (family) => {
  test('teacher forcing in 9-token chunks (old rows dropped) equals one pass', async () => {
    const path = join(dir, `${family}.gguf`)
    const tokens = teacherTokens(11, 450)
    await using one = await loadModel(path, {
      contextLength: 1024,
      prefillChunkSize: 1024,
    })
    await using small = await loadModel(path, {
      contextLength: 1024,
      prefillChunkSize: 9,
    })
    const a = await one.evaluate(tokens, { from: 0, topK: 4 })
    const b = await small.evaluate(tokens, { from: 0, topK: 4 })
    let maxDiff = 0
    for (let r = 0; r < a.rows; r++) {
      expect(b.topIds[r * 4], `row ${r}`).toBe(a.topIds[r * 4])
      maxDiff = Math.max(
        maxDiff,
        Math.abs(
          (a.topLogits[r * 4] as number) - (b.topLogits[r * 4] as number),
        ),
      )
    }
    expect(maxDiff).toBeLessThan(1e-4)
  })
})

describe('gemma3 generation', () => {
  let model: Model
  beforeAll(async () => {
    model = await loadModel(join(dir, 'gemma3.gguf'), { contextLength: 1024 })
  })
  afterAll(async () => {
    await model?.dispose()
  })

  test('a long sequence keeps its sliding layers bounded by the window', async () => {
    const short = await greedy(model, letters(1, 30), {
      maxTokens: 20,
      promptCache: false,
    })
    const long = await greedy(model, letters(1, 30), {
      maxTokens: 900,
      promptCache: false,
    })
    expect(long.tokenIds.slice(0, 20)).toEqual(short.tokenIds)
    // The global layer holds all 930 rows (buffers grow by 256); each of the
    // 5 sliding layers keeps window - 1 + 64 rows plus at most 2 x 256 of
    // headroom, whatever the length.
    const perRow = 2 * 2 * 64 * 4 // k and v, 2 kv heads x 64 dims, float32
    expect(long.kvCacheBytes).toBeLessThanOrEqual(perRow * (1024 + 5 * 591))
    expect(long.kvCacheBytes).toBeLessThan(perRow * 6 * 930 * 0.75)
  })

  test('streams batched together decode what each decodes alone', async () => {
    const prompts = [letters(2, 30), letters(3, 45), letters(4, 20)]
    const options = { maxTokens: 380, promptCache: false }
    const alone = []
    for (const p of prompts)
      alone.push((await greedy(model, p, options)).tokenIds)
    const together = await Promise.all(
      prompts.map((p) => greedy(model, p, options)),
    )
    expect(together.map((r) => r.tokenIds)).toEqual(alone)
  })

  test('the prefix cache is reused only where the window still holds the rows', async () => {
    const a = letters(5, 40)
    const first = await greedy(model, a, { maxTokens: 380 })
    // Shares 20 tokens with a cache whose sliding layers dropped them.
    const b = `${a.slice(0, 20)}${letters(6, 25)}`
    const cold = await greedy(model, b, { maxTokens: 30, promptCache: false })
    const warm = await greedy(model, b, { maxTokens: 30 })
    expect(warm.cachedTokens).toBe(0)
    expect(warm.tokenIds).toEqual(cold.tokenIds)
    // Continuing the conversation reuses the whole cache.
    const c = `${a}${first.text}${letters(7, 10)}`
    const coldC = await greedy(model, c, { maxTokens: 30, promptCache: false })
    const warmC = await greedy(model, c, { maxTokens: 30 })
    expect(warmC.cachedTokens).toBeGreaterThan(400)
    expect(warmC.tokenIds).toEqual(coldC.tokenIds)
  })

  test('prompt-lookup speculative decoding gives the plain greedy tokens', async () => {
    const prompt = letters(8, 60).repeat(3)
    const plain = await greedy(model, prompt, {
      maxTokens: 380,
      promptCache: false,
    })
    const drafted = await greedy(model, prompt, {
      maxTokens: 380,
      promptCache: false,
      draftModel: PROMPT_LOOKUP,
    })
    expect(drafted.tokenIds).toEqual(plain.tokenIds)
    expect(drafted.speculative?.totalDraftTokens).toBeGreaterThan(0)
  })
})
