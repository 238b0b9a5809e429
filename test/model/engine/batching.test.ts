// Continuous batching: concurrent streams share decode steps, prefill is
// interleaved, verified requests stay batch-1 and bit-reproducible.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadModel, type Model } from '../../../src/engine/index.ts'
import { smollm2Path } from '../../helpers/models.ts'

async function drain(stream: ReturnType<Model['generate']>) {
  let text = ''
  for await (const c of stream) text += c.text
  return { text, stats: await stream.result }
}

describe('continuous batching', () => {
  let model: Model
  beforeAll(async () => {
    model = await loadModel(smollm2Path(), { parallel: 8 })
  })
  afterAll(async () => {
    await model?.dispose()
  })

  it('runs 6 concurrent streams to completion with their own limits', async () => {
    const runs = Array.from({ length: 6 }, (_, i) =>
      drain(
        model.generate(`Fact ${i}: the ocean`, {
          raw: true,
          temperature: 0,
          maxTokens: 4 + i,
          promptCache: false,
        }),
      ),
    )
    const results = await Promise.all(runs)
    results.forEach((r, i) => {
      expect(
        r.stats.stopReason === 'maxTokens' || r.stats.stopReason === 'eos',
      ).toBe(true)
      if (r.stats.stopReason === 'maxTokens')
        expect(r.stats.completionTokens).toBe(4 + i)
      expect(r.stats.tokenIds.length).toBe(r.stats.completionTokens)
    })
  })

  it('keeps a verified request identical while batched streams run beside it', async () => {
    const opts = {
      verified: true,
      seed: 99,
      temperature: 0.9,
      maxTokens: 12,
      raw: true,
    }
    const alone = await drain(model.generate('The mountain village', opts))
    const noise = Array.from({ length: 3 }, (_, i) =>
      drain(
        model.generate(`Noise ${i}`, {
          raw: true,
          maxTokens: 10,
          temperature: 0.5,
        }),
      ),
    )
    const beside = await drain(model.generate('The mountain village', opts))
    await Promise.all(noise)
    expect(beside.stats.tokenIds).toEqual(alone.stats.tokenIds)
  })

  it('cancelling one stream leaves the others running', async () => {
    const ctrl = new AbortController()
    const victim = model.generate('Cancel me', {
      raw: true,
      maxTokens: 64,
      signal: ctrl.signal,
    })
    const other = drain(
      model.generate('Keep me', { raw: true, temperature: 0, maxTokens: 8 }),
    )
    setTimeout(() => ctrl.abort(), 50)
    const v = await drain(victim)
    const o = await other
    expect(v.stats.stopReason).toBe('cancelled')
    expect(o.stats.completionTokens).toBeGreaterThan(0)
    expect(['maxTokens', 'eos']).toContain(o.stats.stopReason)
  })

  it('keeps a running stream flowing while a long prompt prefills', async () => {
    // Tokens of the running stream, stamped with how many tokens the
    // newcomer had produced at the time: without interleaving the newcomer's
    // whole prefill would pass between two of the runner's tokens.
    let newcomerTokens = 0
    const during: number[] = []
    const runner = model.generate('Count slowly: one, two,', {
      raw: true,
      temperature: 0,
      maxTokens: 200,
      promptCache: false,
      logitBias: { [model.tokenizer.special.eosIds[0] ?? 0]: -100 },
    })
    let newcomer: ReturnType<Model['generate']> | undefined
    let seen = 0
    for await (const _ of runner) {
      if (++seen === 3) {
        const long = Array.from(
          { length: 120 },
          (_, i) => `word${i % 17}`,
        ).join(' ')
        newcomer = model.generate(long, {
          raw: true,
          maxTokens: 1,
          promptCache: false,
        })
        void (async () => {
          for await (const _c of newcomer) newcomerTokens++
        })()
      }
      if (newcomer && newcomerTokens === 0) during.push(seen)
      if (newcomer && newcomerTokens > 0) break
    }
    runner.cancel()
    const stats = await newcomer?.result
    expect(stats?.promptTokens).toBeGreaterThan(200)
    expect(during.length).toBeGreaterThanOrEqual(3)
  })

  it('batches grammar-constrained and plain streams with unchanged outputs', async () => {
    const grammar = {
      kind: 'json_schema' as const,
      text: JSON.stringify({
        type: 'object',
        properties: { city: { type: 'string', maxLength: 12 } },
        required: ['city'],
      }),
    }
    const jobs = [
      { prompt: 'A city as JSON:', grammar },
      { prompt: 'The weather today is', grammar: undefined },
      { prompt: 'Another city as JSON:', grammar },
    ]
    const opts = {
      raw: true,
      temperature: 0,
      maxTokens: 24,
      promptCache: false,
    }
    const alone: Awaited<ReturnType<typeof drain>>[] = []
    for (const j of jobs)
      alone.push(
        await drain(model.generate(j.prompt, { ...opts, grammar: j.grammar })),
      )
    const together = await Promise.all(
      jobs.map((j) =>
        drain(model.generate(j.prompt, { ...opts, grammar: j.grammar })),
      ),
    )
    together.forEach((r, i) => {
      expect(r.stats.tokenIds).toEqual(alone[i]?.stats.tokenIds)
    })
    expect(JSON.parse(together[0]?.text ?? '')).toHaveProperty('city')
  })
})
