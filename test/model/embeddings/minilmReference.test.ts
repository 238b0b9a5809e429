// all-MiniLM-L6-v2 in the native engine against the committed reference
// vectors (independent float64 numpy BERT, scripts/fixtures/
// minilm_reference.py): cosine >= 0.999 for every sentence, batched and
// one at a time, plus `dimensions` truncation and real token usage.
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EmbeddingModel } from '../../../src/engine/embeddings/EmbeddingModel.ts'
import { loadEmbeddingModel } from '../../../src/engine/embeddings/loadEmbeddingModel.ts'
import { hasEncoders } from '../../helpers/encoders.ts'
import { minilmPath } from '../../helpers/minilm.ts'

type Reference = {
  maxSeqLength: number
  sentences: { text: string; tokens: number; vector: number[] }[]
}
const ref: Reference = JSON.parse(
  readFileSync(
    new URL('../../fixtures/minilm-reference.json', import.meta.url),
    'utf8',
  ),
)
const texts = ref.sentences.map((s) => s.text)

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number)
  return s
}
const norm = (a: ArrayLike<number>) => Math.sqrt(dot(a, a))
const cosine = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  dot(a, b) / (norm(a) * norm(b))

let model: EmbeddingModel
beforeAll(async () => {
  if (!hasEncoders) return
  model = await loadEmbeddingModel(minilmPath())
})
afterAll(() => model?.dispose())

describe.skipIf(!hasEncoders)('all-MiniLM-L6-v2 embeddings', () => {
  it('has at least 50 varied reference sentences', () => {
    expect(ref.sentences.length).toBeGreaterThanOrEqual(50)
    expect(ref.sentences.some((s) => s.tokens === ref.maxSeqLength)).toBe(true)
  })

  it('tokenizes exactly like the reference (WordPiece, specials, truncation)', () => {
    for (const s of ref.sentences)
      expect(model.encode(s.text).ids.length, s.text).toBe(s.tokens)
  })

  it('matches the reference with cosine >= 0.999 for every sentence (batched)', {
    timeout: 600_000,
  }, async () => {
    const { vectors } = await model.embed(texts)
    const worst = Math.min(
      ...vectors.map((v, i) => cosine(v, ref.sentences[i]!.vector)),
    )
    for (const [i, v] of vectors.entries())
      expect(
        cosine(v, ref.sentences[i]!.vector),
        texts[i],
      ).toBeGreaterThanOrEqual(0.999)
    expect(worst).toBeGreaterThanOrEqual(0.999)
  })

  it('gives the same vectors one at a time as in a padded batch', {
    timeout: 600_000,
  }, async () => {
    const batched = (await model.embed(texts.slice(0, 12))).vectors
    for (let i = 0; i < 12; i++) {
      const [single] = (await model.embed([texts[i]!])).vectors
      expect(cosine(single!, batched[i]!)).toBeGreaterThan(0.99999)
      expect(norm(single!)).toBeCloseTo(1, 5)
    }
  })

  it('truncates `dimensions` and renormalizes', async () => {
    const full = (await model.embed(['A man is eating food.'])).vectors[0]!
    const short = (
      await model.embed(['A man is eating food.'], { dimensions: 64 })
    ).vectors[0]!
    expect(short.length).toBe(64)
    expect(norm(short)).toBeCloseTo(1, 5)
    expect(cosine(short, full.slice(0, 64))).toBeGreaterThan(0.99999)
    await expect(model.embed(['x'], { dimensions: 385 })).rejects.toThrow(
      /dimensions/,
    )
  })

  it('reports real token usage and flags truncation', async () => {
    const r = await model.embed(['hello world', ref.sentences.at(-1)!.text])
    expect(r.usage.promptTokens).toBe(4 + ref.maxSeqLength)
    expect(r.usage.totalTokens).toBe(r.usage.promptTokens)
    expect(r.truncated).toEqual([1])
    await expect(
      model.embed([ref.sentences.at(-1)!.text], { truncate: false }),
    ).rejects.toThrow(/longer than/)
  })

  it('ranks a paraphrase above an unrelated sentence', async () => {
    const [q, para, other] = (
      await model.embed([
        'How do I change my password?',
        'How do I reset my password?',
        'A monkey is playing drums.',
      ])
    ).vectors
    expect(cosine(q!, para!)).toBeGreaterThan(cosine(q!, other!) + 0.3)
  })
})
