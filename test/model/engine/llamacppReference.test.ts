// Correctness against an independent implementation, llama.cpp, on the same
// SmolLM2 Q4_1 GGUF (fixtures from scripts/fixtures/llamacpp.sh;
// `npm run fixtures:llamacpp`). Two references:
//  - f32: llama.cpp evaluating exactly the weights the GGUF encodes
//    (dequantized to F32) in fp32 — the strict check of our model math;
//  - q4_1: llama.cpp on the file as is. Its Q4_1 matmul quantizes activations
//    to 8 bits (Q8_1) while we keep them in fp32, so logits differ by
//    activation-quantization noise and near-ties can flip.
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadModel, type Model } from '../../../src/engine/index.ts'
import { smollm2Path } from '../../helpers/models.ts'

type Case = {
  text: string
  tokens: number[]
  continuation: number[]
  from: number
  top: { ids: number[]; logits: number[] }[]
}
const load = (name: string): Case[] =>
  JSON.parse(
    readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), 'utf8'),
  ).cases

async function compare(model: Model, cases: Case[]) {
  let agree = 0
  let total = 0
  let maxDiff = 0
  for (const c of cases) {
    const ev = await model.evaluate([...c.tokens, ...c.continuation], {
      from: c.from,
      topK: 5,
    })
    expect(ev.rows).toBe(c.top.length)
    c.top.forEach((ref, r) => {
      total++
      if (ev.topIds[r * ev.topK] === ref.ids[0]) agree++
      maxDiff = Math.max(
        maxDiff,
        Math.abs(
          (ev.topLogits[r * ev.topK] as number) - (ref.logits[0] as number),
        ),
      )
    })
  }
  return { agree, total, maxDiff }
}

async function greedyMatches(model: Model, cases: Case[]) {
  let identical = 0
  for (const c of cases) {
    const stream = model.generate(c.text, {
      raw: true,
      temperature: 0,
      maxTokens: 32,
      promptCache: false,
    })
    for await (const _ of stream);
    const { tokenIds } = await stream.result
    if (JSON.stringify(tokenIds) === JSON.stringify(c.continuation)) identical++
  }
  return identical
}

describe('SmolLM2 Q4_1 vs llama.cpp', () => {
  const f32 = load('smollm2-llamacpp-f32.json')
  const q41 = load('smollm2-llamacpp-q4_1.json')
  let model: Model
  beforeAll(async () => {
    model = await loadModel(smollm2Path())
  })
  afterAll(async () => {
    await model?.dispose()
  })

  it('tokenizes every prompt exactly like llama.cpp', () => {
    for (const c of f32)
      expect(model.tokenizer.encode(c.text)).toEqual(c.tokens)
  })

  it('matches llama.cpp on the same weights in fp32: top-1 >= 99%, logits within 0.05', async () => {
    const { agree, total, maxDiff } = await compare(model, f32)
    console.log(
      `[f32 ref] top-1 agreement ${agree}/${total}; max top-logit difference ${maxDiff.toFixed(4)}`,
    )
    expect(agree / total).toBeGreaterThanOrEqual(0.99)
    expect(maxDiff).toBeLessThan(0.05)
  })

  it('reproduces the fp32 reference greedy continuations for >= 4 of 5 prompts', async () => {
    const identical = await greedyMatches(model, f32)
    console.log(
      `[f32 ref] identical greedy continuations: ${identical}/${f32.length}`,
    )
    expect(identical).toBeGreaterThanOrEqual(4)
  })

  it('stays within activation-quantization noise of llama.cpp on the Q4_1 file', async () => {
    const { agree, total, maxDiff } = await compare(model, q41)
    console.log(
      `[q4_1 ref] top-1 agreement ${agree}/${total}; max top-logit difference ${maxDiff.toFixed(4)}`,
    )
    expect(agree / total).toBeGreaterThanOrEqual(0.95)
    expect(maxDiff).toBeLessThan(1.5)
  })
})
