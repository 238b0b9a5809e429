// Speculative decoding: a draft model (or prompt lookup) proposes tokens the
// model verifies in one forward. The sampler is counter-based, so the tokens
// must be exactly those of plain decoding, whatever the draft proposes: a
// perfect draft (a second copy of SmolLM2), a useless one (random weights
// over SmolLM2's vocabulary) and prompt lookup all give the same output.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  InvalidOptionError,
  loadModel,
  type Model,
} from '../../../src/engine/index.ts'
import type { GenerateOptions } from '../../../src/engine/types.ts'
import { smollm2Path } from '../../helpers/models.ts'
import { writeTinyCheckpoint } from '../../helpers/tinyCheckpoint.ts'
import { writeTinySmolVocabCheckpoint } from '../../helpers/tinySmolVocabCheckpoint.ts'

async function run(model: Model, prompt: string, options: GenerateOptions) {
  const stream = model.generate([{ role: 'user', content: prompt }], {
    promptCache: false,
    ...options,
  })
  let text = ''
  for await (const c of stream) text += c.text
  return { text, stats: await stream.result }
}

const STORY = 'Write a short story about a robot who learns to paint.'
const DOC =
  'The ferryman measured the river against a painted post each morning and wrote the number in a ledger that nobody read but everyone asked about.'
const REPEAT = `Repeat the following text exactly:\n${DOC}`

describe('speculative decoding', () => {
  let dir: string
  let model: Model
  let twin: Model // the same weights: every draft is accepted
  let noise: Model // random weights, same vocabulary: drafts are rejected
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pocket-spec-'))
    model = await loadModel(smollm2Path(), { parallel: 8 })
    twin = await loadModel(smollm2Path())
    writeTinySmolVocabCheckpoint(join(dir, 'noise'), model)
    noise = await loadModel(join(dir, 'noise'))
  })
  afterAll(async () => {
    await Promise.all([model?.dispose(), twin?.dispose(), noise?.dispose()])
    rmSync(dir, { recursive: true, force: true })
  })

  it('a perfect draft is always accepted and changes no token', async () => {
    const plain = await run(model, STORY, { temperature: 0, maxTokens: 40 })
    const spec = await run(model, STORY, {
      temperature: 0,
      maxTokens: 40,
      draftModel: twin,
      numDraftTokens: 3,
    })
    expect(spec.stats.tokenIds).toEqual(plain.stats.tokenIds)
    const s = spec.stats.speculative
    expect(s?.draftModel).toBe(smollm2Path())
    expect(s?.acceptedDraftTokens).toBeGreaterThan(20)
    expect(s?.rejectedDraftTokens).toBe(0)
    expect((s?.acceptedDraftTokens ?? 0) + (s?.ignoredDraftTokens ?? 0)).toBe(
      s?.totalDraftTokens,
    )
  })

  it('a useless draft is rejected and changes no token, greedy or sampled', async () => {
    for (const sampling of [
      { temperature: 0 },
      { temperature: 0.9, seed: 7, topP: 0.95, repetitionPenalty: 1.1 },
    ]) {
      const plain = await run(model, STORY, { ...sampling, maxTokens: 24 })
      const spec = await run(model, STORY, {
        ...sampling,
        maxTokens: 24,
        draftModel: noise,
        numDraftTokens: 4,
      })
      expect(spec.stats.tokenIds).toEqual(plain.stats.tokenIds)
      const s = spec.stats.speculative
      expect(s?.rejectedDraftTokens).toBeGreaterThan(0)
      expect(
        (s?.acceptedDraftTokens ?? 0) +
          (s?.rejectedDraftTokens ?? 0) +
          (s?.ignoredDraftTokens ?? 0),
      ).toBe(s?.totalDraftTokens)
    }
  })

  it('prompt lookup accepts copied text and changes no token', async () => {
    const plain = await run(model, REPEAT, { temperature: 0, maxTokens: 40 })
    const spec = await run(model, REPEAT, {
      temperature: 0,
      maxTokens: 40,
      draftModel: 'prompt-lookup',
      numDraftTokens: 6,
    })
    expect(spec.stats.tokenIds).toEqual(plain.stats.tokenIds)
    expect(spec.stats.speculative?.draftModel).toBe('prompt-lookup')
    expect(spec.stats.speculative?.acceptedDraftTokens).toBeGreaterThan(10)
  })

  it('stops exactly at maxTokens and at stop strings while drafting', async () => {
    const spec = await run(model, REPEAT, {
      temperature: 0,
      maxTokens: 9,
      draftModel: twin,
      numDraftTokens: 4,
    })
    expect(spec.stats.stopReason).toBe('maxTokens')
    expect(spec.stats.completionTokens).toBe(9)
    const plain = await run(model, REPEAT, { temperature: 0, maxTokens: 40 })
    const word = plain.text.split(' ').slice(3, 4).join('')
    const stopped = await run(model, REPEAT, {
      temperature: 0,
      maxTokens: 40,
      stop: [word],
      draftModel: 'prompt-lookup',
    })
    expect(stopped.stats.stopReason).toBe('stopString')
    expect(plain.text.startsWith(stopped.text)).toBe(true)
    expect(stopped.text.includes(word)).toBe(false)
  })

  it('keeps grammar-constrained output valid and identical', async () => {
    const schema = JSON.stringify({
      type: 'object',
      properties: { name: { type: 'string' }, age: { type: 'integer' } },
      required: ['name', 'age'],
      additionalProperties: false,
    })
    const opts: GenerateOptions = {
      temperature: 0,
      maxTokens: 48,
      grammar: { kind: 'json_schema', text: schema },
    }
    const prompt = 'Describe a person called Ada aged 36 as JSON.'
    const plain = await run(model, prompt, opts)
    const spec = await run(model, prompt, { ...opts, draftModel: twin })
    expect(spec.stats.tokenIds).toEqual(plain.stats.tokenIds)
    expect(JSON.parse(spec.text)).toHaveProperty('age')
  })

  it('batches speculative, plain and prompt-lookup streams in the same steps', async () => {
    const prompts = [STORY, REPEAT, 'Name three rivers in Europe.', REPEAT]
    const drafts: GenerateOptions[] = [
      { draftModel: twin },
      { draftModel: 'prompt-lookup' },
      {},
      { draftModel: noise },
    ]
    const alone: Awaited<ReturnType<typeof run>>[] = []
    for (const p of prompts)
      alone.push(await run(model, p, { temperature: 0, maxTokens: 24 }))
    const together = await Promise.all(
      prompts.map((p, i) =>
        run(model, p, { temperature: 0, maxTokens: 24, ...drafts[i] }),
      ),
    )
    together.forEach((r, i) => {
      expect(r.stats.tokenIds).toEqual(alone[i]?.stats.tokenIds)
    })
    expect(together[0]?.stats.speculative?.acceptedDraftTokens).toBeGreaterThan(
      0,
    )
  })

  it('refuses a draft with another vocabulary, verified mode and bad counts', async () => {
    writeTinyCheckpoint(join(dir, 'other'), 'llama')
    const other = await loadModel(join(dir, 'other'))
    try {
      await expect(
        run(model, STORY, { maxTokens: 4, draftModel: other }),
      ).rejects.toThrow(/vocabulary/)
    } finally {
      await other.dispose()
    }
    await expect(
      run(model, STORY, {
        maxTokens: 4,
        verified: true,
        seed: 1,
        draftModel: twin,
      }),
    ).rejects.toThrow(/verified/)
    expect(() =>
      model.generate(STORY, { draftModel: twin, numDraftTokens: 0 }),
    ).toThrow(InvalidOptionError)
  })
})
