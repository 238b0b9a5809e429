// Fused layers (native/src/fused_layer.cpp) must be a pure speed change: they
// call the same kernels as the op graph, so tokens and log-probabilities are
// bit-identical with them on and off (POCKET_DISABLE_FUSED_LAYERS=1), for
// prefill chunks (the second one attending to the first) and decode steps, for SmolLM2 and for tiny
// 4-bit Qwen2 (QKV bias) and Qwen3 (q/k norm) checkpoints, including after
// the KV cache grows past its first 256 positions; and for the real Gemma 3
// 270M Q4_K_M (sandwich norms, GeGLU, local and global ropes, 8-bit and
// 4-bit layers) inside its 512-position window, across it mid-generation,
// and past the point where its sliding-window layers drop old cache rows
// (prompt chunks wider than the window take the graph; decode steps stay
// fused).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadModel, type Model } from '../../../src/engine/index.ts'
import { gemma3Path, smollm2Path } from '../../helpers/models.ts'
import { writeTinyCheckpoint } from '../../helpers/tinyCheckpoint.ts'

async function run(
  model: Model,
  fused: boolean,
  prompt: string,
  maxTokens: number,
) {
  if (fused) delete process.env.POCKET_DISABLE_FUSED_LAYERS
  else process.env.POCKET_DISABLE_FUSED_LAYERS = '1'
  try {
    const stream = model.generate(prompt, {
      raw: true,
      temperature: 0.8,
      seed: 11,
      maxTokens,
      promptCache: false,
      logprobs: true,
      logitBias: Object.fromEntries(
        model.tokenizer.special.eosIds.map((id) => [id, -100]),
      ),
    })
    const logprobs: number[] = []
    for await (const c of stream)
      for (const l of c.logprobs ?? []) logprobs.push(l.logprob)
    return { ids: (await stream.result).tokenIds, logprobs }
  } finally {
    delete process.env.POCKET_DISABLE_FUSED_LAYERS
  }
}

describe('fused layers', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pocket-fused-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it("gives SmolLM2 the graph path's exact tokens and log-probabilities over prefill chunks and a cache growth", async () => {
    const model = await loadModel(smollm2Path())
    try {
      const prompt = `${Array.from({ length: 90 }, (_, i) => `Entry ${i}: the river rose.`).join(' ')} The history of the river town, told by its ferryman:`
      const graph = await run(model, false, prompt, 260)
      const fused = await run(model, true, prompt, 260)
      expect(fused.ids).toHaveLength(260)
      expect(fused.ids).toEqual(graph.ids)
      expect(fused.logprobs).toEqual(graph.logprobs)
    } finally {
      await model.dispose()
    }
  })

  const gemma3 = gemma3Path()
  it.skipIf(!gemma3)(
    "gives Gemma 3 the graph path's exact tokens and log-probabilities inside, across and far past its window",
    async () => {
      const model = await loadModel(gemma3 as string)
      try {
        const entries = (n: number) =>
          Array.from(
            { length: n },
            (_, i) => `Entry ${i}: the river rose.`,
          ).join(' ')
        for (const [prompt, maxTokens] of [
          [`${entries(12)} The ferryman said`, 100],
          [`${entries(54)} The ferryman said`, 90],
          [`${entries(100)} The ferryman said`, 400],
        ] as const) {
          const graph = await run(model, false, prompt, maxTokens)
          const fused = await run(model, true, prompt, maxTokens)
          expect(fused.ids).toHaveLength(maxTokens)
          expect(fused.ids).toEqual(graph.ids)
          expect(fused.logprobs).toEqual(graph.logprobs)
        }
      } finally {
        await model.dispose()
      }
    },
  )

  for (const arch of ['qwen2', 'qwen3'] as const) {
    it(`matches the graph path bit for bit on a tiny 4-bit ${arch}`, async () => {
      writeTinyCheckpoint(join(dir, arch), arch, { quantize: true })
      const model = await loadModel(join(dir, arch))
      try {
        const graph = await run(model, false, 'hello world', 24)
        const fused = await run(model, true, 'hello world', 24)
        expect(fused.ids).toEqual(graph.ids)
        expect(fused.logprobs).toEqual(graph.logprobs)
      } finally {
        await model.dispose()
      }
    })
  }
})
