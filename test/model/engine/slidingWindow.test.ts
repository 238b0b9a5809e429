// Sliding-window attention (Gemma 3: 5 of 6 layers see 16 positions here;
// Gemma 2: every other layer, with soft-capping) stays correct where the
// engine gets clever: KV caches that drop rows older than the window, prompt
// chunks narrower or wider than the window, continuous batching, prefix
// reuse, speculative decoding. Each is compared with the plain computation.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  type GenerateOptions,
  loadModel,
  type Model,
  PROMPT_LOOKUP,
} from '../../../src/engine/index.ts'
import { writeTinyCheckpoint } from '../../helpers/tinyCheckpoint.ts'
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

describe('Mistral with sliding_window (config.json)', () => {
  test('the window applies from its length on, whatever the chunking', async () => {
    const plain = join(dir, 'mistral')
    writeTinyCheckpoint(plain, 'mistral', { quantize: true })
    const windowed = join(dir, 'mistral-swa')
    writeTinyCheckpoint(windowed, 'mistral', { quantize: true })
    const config = JSON.parse(
      readFileSync(join(windowed, 'config.json'), 'utf8'),
    )
    writeFileSync(
      join(windowed, 'config.json'),
      JSON.stringify({ ...config, sliding_window: 16 }),
    )
    const tokens = teacherTokens(12, 60).map((t) => t % 250)
    await using a = await loadModel(plain)
    // float32 decode activations: the decode below is compared token for
    // token with teacher forcing, which computes the head in float32.
    await using b = await loadModel(windowed, { decodeActivations: 'float32' })
    await using c = await loadModel(windowed, { prefillChunkSize: 7 })
    const full = await a.evaluate(tokens, { from: 0, topK: 1 })
    const swa = await b.evaluate(tokens, { from: 0, topK: 1 })
    const chunked = await c.evaluate(tokens, { from: 0, topK: 1 })
    // Up to the window the two models compute the same thing (the windowed
    // one through the masked path here, as its chunk spans the window).
    for (let r = 0; r < 16; r++)
      expect(swa.topLogits[r]).toBeCloseTo(full.topLogits[r] as number, 4)
    // Past it they differ, and chunking does not change the windowed one.
    expect(Array.from(swa.topLogits.slice(16))).not.toEqual(
      Array.from(full.topLogits.slice(16)),
    )
    for (let r = 0; r < swa.rows; r++)
      expect(chunked.topLogits[r]).toBeCloseTo(swa.topLogits[r] as number, 4)
    // Decoding (fused layers below the window, the graph past it) agrees
    // with teacher forcing over the same tokens.
    const prompt = 'hello window'
    const stream = b.generate(prompt, {
      raw: true,
      temperature: 0,
      maxTokens: 40,
      logitBias: { 2: -100 },
    })
    for await (const _ of stream) {
    }
    const { tokenIds } = await stream.result
    const ids = b.tokenizer.encode(prompt)
    const ev = await b.evaluate([...ids, ...tokenIds], {
      from: ids.length - 1,
      topK: 1,
    })
    expect(Array.from(ev.topIds.slice(0, tokenIds.length))).toEqual(tokenIds)
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

  test('an 8-bit KV cache drops old rows the same way', async () => {
    await using q8 = await loadModel(join(dir, 'gemma3.gguf'), {
      contextLength: 1024,
      kvBits: 8,
    })
    const long = await greedy(q8, letters(9, 30), {
      maxTokens: 600,
      promptCache: false,
    })
    expect(long.tokenIds).toHaveLength(600)
    // About a quarter of the float cache's bytes per row (+ scales/biases),
    // and the sliding layers bounded as above.
    const perRow = 2 * 2 * 64 * 4
    expect(long.kvCacheBytes).toBeLessThan(perRow * (768 + 5 * 591) * 0.4)
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
