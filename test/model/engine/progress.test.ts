// Progress from the engine while the work happens: the GGUF loader's share
// of tensor bytes converted (LoadModelOptions.onProgress), and prompt
// processing after every prefill chunk (GenerateOptions.onPromptProgress),
// alone, with the prefix cache, and inside shared forwards while another
// stream decodes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadModel, type Model } from '../../../src/engine/index.ts'
import { smollm2Path } from '../../helpers/models.ts'

let model: Model
const loadEvents: number[] = []
beforeAll(async () => {
  model = await loadModel(smollm2Path(), {
    prefillChunkSize: 128,
    onProgress: (f) => loadEvents.push(f),
  })
})
afterAll(() => model?.dispose())

type Step = { processed: number; total: number; tokensSoFar: number }

async function run(prompt: string, maxTokens = 2) {
  const steps: Step[] = []
  let tokens = 0
  const stream = model.generate(prompt, {
    raw: true,
    temperature: 0,
    maxTokens,
    onPromptProgress: (processed, total) =>
      steps.push({ processed, total, tokensSoFar: tokens }),
  })
  for await (const c of stream) tokens += c.tokens.length
  return { steps, stats: await stream.result }
}

const text = (n: number, word: string) =>
  `${Array.from({ length: n }, (_, i) => `${word} ${i}.`).join(' ')}`

describe('load progress', () => {
  it('reports the share of tensor bytes converted, increasing, ending at 1', () => {
    expect(loadEvents.at(-1)).toBe(1)
    const between = loadEvents.filter((f) => f > 0 && f < 1)
    expect(between.length).toBeGreaterThan(10)
    expect(loadEvents).toEqual([...loadEvents].sort((a, b) => a - b))
    expect(new Set(loadEvents).size).toBe(loadEvents.length)
  })
})

describe('prompt progress', () => {
  it('one call per prefill chunk, all before the first token', async () => {
    const { steps, stats } = await run(text(120, 'apple'))
    const total = stats.promptTokens - stats.cachedTokens
    expect(total).toBeGreaterThan(3 * 128)
    expect(steps.length).toBe(Math.ceil(total / 128))
    expect(steps.every((s) => s.total === total)).toBe(true)
    expect(steps.map((s) => s.processed)).toEqual(
      steps.map((_, i) => Math.min((i + 1) * 128, total)),
    )
    expect(steps.every((s) => s.tokensSoFar === 0)).toBe(true)
  })

  it('a prompt the prefix cache holds counts only its new tokens', async () => {
    const prefix = text(120, 'pear')
    await run(prefix)
    const { steps, stats } = await run(`${prefix} ${text(20, 'plum')}`)
    expect(stats.cachedTokens).toBeGreaterThan(0)
    const total = stats.promptTokens - stats.cachedTokens
    expect(steps.at(-1)).toMatchObject({ processed: total, total })
    expect(steps.length).toBe(Math.ceil(total / 128))
  })

  it('a prompt prefilled inside the decode forwards of another stream', async () => {
    // The first stream decodes while the second one's prompt arrives, so the
    // second is prefilled in budgeted chunks that share the decode forward.
    const first = model.generate('Count slowly: one, two,', {
      raw: true,
      temperature: 0,
      maxTokens: 40,
    })
    const it1 = first[Symbol.asyncIterator]()
    await it1.next() // decoding now
    const second = await run(text(120, 'cherry'))
    while (!(await it1.next()).done) {}
    const total = second.stats.promptTokens - second.stats.cachedTokens
    const done = second.steps.map((s) => s.processed)
    expect(done.at(-1)).toBe(total)
    // Budgeted chunks are smaller than the solo 128 while the first decodes.
    expect(done.length).toBeGreaterThan(Math.ceil(total / 128))
    expect(done).toEqual([...done].sort((a, b) => a - b))
    expect(new Set(done).size).toBe(done.length)
  })
})
