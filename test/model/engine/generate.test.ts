// Generation with the real SmolLM2-135M-Instruct weights: a greedy chat
// answer, consistent stats, max_tokens, stop strings, logprobs, cancellation
// and the prefix cache.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type {
  ChatMessage,
  GenerateOptions,
  GenerationChunk,
  Model,
} from '../../../src/engine/index.ts'
import { loadModel } from '../../../src/engine/index.ts'
import { smollm2Path } from '../../helpers/models.ts'

const STOP_REASONS = [
  'eos',
  'stopString',
  'maxTokens',
  'contextFull',
  'cancelled',
]
const QUESTION: ChatMessage[] = [
  { role: 'user', content: 'What is the capital of France?' },
]

let model: Model
beforeAll(async () => {
  model = await loadModel(smollm2Path())
})
afterAll(async () => {
  await model?.dispose()
})

async function run(input: string | ChatMessage[], options: GenerateOptions) {
  const stream = model.generate(input, options)
  const chunks: GenerationChunk[] = []
  for await (const chunk of stream) chunks.push(chunk)
  const stats = await stream.result
  return { chunks, text: chunks.map((c) => c.text).join(''), stats }
}

describe('SmolLM2 generation', () => {
  let answer = ''

  test('answers a chat greedily with consistent stats', async () => {
    const { chunks, text, stats } = await run(QUESTION, {
      temperature: 0,
      maxTokens: 16,
    })
    answer = text
    expect(text.trim().length).toBeGreaterThan(0)
    expect(text).toMatch(/Paris/)
    expect(STOP_REASONS).toContain(stats.stopReason)
    expect(['eos', 'maxTokens']).toContain(stats.stopReason)
    expect(stats.completionTokens).toBe(stats.tokenIds.length)
    expect(stats.completionTokens).toBeGreaterThan(0)
    expect(stats.completionTokens).toBeLessThanOrEqual(16)
    expect(stats.promptTokens).toBe(model.promptTokens(QUESTION).length)
    // Chunks carry exactly the completion's tokens, and the text is theirs.
    expect(chunks.flatMap((c) => c.tokens)).toEqual(stats.tokenIds)
    expect(text).toBe(model.detokenize(stats.tokenIds))
    expect(model.activeGenerations).toBe(0)
  })

  test('max_tokens is respected', async () => {
    const { stats } = await run('Once upon a time', {
      raw: true,
      temperature: 0,
      maxTokens: 3,
    })
    expect(stats.completionTokens).toBe(3)
    expect(stats.tokenIds).toHaveLength(3)
    expect(stats.stopReason).toBe('maxTokens')
  })

  test('stop strings cut the text and never appear in it', async () => {
    expect(answer.length).toBeGreaterThan(12)
    // A stop string taken from the middle of the greedy answer, spanning tokens.
    const stop = answer.slice(
      Math.floor(answer.length / 3),
      Math.floor(answer.length / 3) + 7,
    )
    const expected = answer.slice(0, answer.indexOf(stop))
    const { text, stats } = await run(QUESTION, {
      temperature: 0,
      maxTokens: 16,
      stop: ['never-in-this-answer', stop],
    })
    expect(text).toBe(expected)
    expect(text).not.toContain(stop)
    expect(stats.stopReason).toBe('stopString')
    expect(stats.stopString).toBe(stop)
    expect(stats.completionTokens).toBe(stats.tokenIds.length)
  })

  test('logprobs are returned when asked, and only then', async () => {
    const { chunks, stats } = await run('The capital of France is', {
      raw: true,
      temperature: 0,
      maxTokens: 3,
      logprobs: true,
      topLogprobs: 3,
    })
    const logprobs = chunks.flatMap((c) => c.logprobs ?? [])
    expect(logprobs.map((l) => l.token)).toEqual(stats.tokenIds)
    for (const l of logprobs) {
      expect(l.logprob).toBeLessThanOrEqual(0)
      expect(l.top).toHaveLength(3)
      // Greedy picks the most likely token.
      expect(l.top[0]?.token).toBe(l.token)
      expect(l.top[0]?.logprob).toBeCloseTo(l.logprob, 4)
      for (let i = 1; i < l.top.length; i++)
        expect(l.top[i]?.logprob).toBeLessThanOrEqual(
          l.top[i - 1]?.logprob as number,
        )
    }
    const plain = await run('The capital of France is', {
      raw: true,
      temperature: 0,
      maxTokens: 1,
    })
    expect(plain.chunks.every((c) => c.logprobs === undefined)).toBe(true)
  })

  test('an AbortSignal cancels the generation', async () => {
    const controller = new AbortController()
    const stream = model.generate('Count to one hundred: 1, 2, 3,', {
      raw: true,
      temperature: 0,
      maxTokens: 200,
      signal: controller.signal,
    })
    let chunks = 0
    for await (const _ of stream) {
      chunks++
      controller.abort()
    }
    const stats = await stream.result
    expect(chunks).toBeGreaterThan(0)
    expect(stats.stopReason).toBe('cancelled')
    expect(stats.completionTokens).toBeLessThan(200)
    expect(stats.completionTokens).toBe(stats.tokenIds.length)
    expect(model.activeGenerations).toBe(0)
  })

  test('an already-aborted signal cancels before any real work', async () => {
    const { stats } = await run('Hello', {
      raw: true,
      temperature: 0,
      maxTokens: 200,
      signal: AbortSignal.abort(),
    })
    expect(stats.stopReason).toBe('cancelled')
    expect(stats.completionTokens).toBeLessThan(200)
  })

  test('a second turn reuses the prefix cache and matches the uncached output', async () => {
    const first = await run(QUESTION, { temperature: 0, maxTokens: 16 })
    const turn2: ChatMessage[] = [
      ...QUESTION,
      { role: 'assistant', content: first.text },
      { role: 'user', content: 'And of Germany?' },
    ]
    const cached = await run(turn2, { temperature: 0, maxTokens: 8 })
    expect(cached.stats.cachedTokens).toBeGreaterThan(0)
    expect(cached.stats.cachedTokens).toBeLessThan(cached.stats.promptTokens)
    const uncached = await run(turn2, {
      temperature: 0,
      maxTokens: 8,
      promptCache: false,
    })
    expect(uncached.stats.cachedTokens).toBe(0)
    expect(uncached.stats.promptTokens).toBe(cached.stats.promptTokens)
    expect(cached.stats.tokenIds).toEqual(uncached.stats.tokenIds)
    expect(cached.text).toBe(uncached.text)
  })
})
