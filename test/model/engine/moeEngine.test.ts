// MoE models in the engine's own paths: bad expert counts are load errors
// (GGUF and config.json), the sorted-by-expert prefill and the per-row
// decode gathers agree, gpt-oss's attention sinks agree between MLX's sdpa
// (decode steps) and the masked softmax (a window cutting into a chunk), and
// continuous batching decodes what each request decodes alone.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { loadModel } from '../../../src/engine/index.ts'
import { writeTinyMoeCheckpoint } from '../../helpers/tinyMoeCheckpoint.ts'
import {
  type MoeFamily,
  type MoeQuant,
  writeTinyMoeGguf,
} from '../../helpers/tinyMoeGguf.ts'

let root: string
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pocket-moe-engine-'))
})
afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})

describe('bad expert counts', () => {
  test('GGUF: expert_used_count > expert_count (or 0) is a clear load error', async () => {
    for (const [used, count] of [
      [9, 8],
      [0, 8],
    ] as const) {
      const path = join(root, `bad-${used}-${count}.gguf`)
      writeTinyMoeGguf(path, 'qwen3moe', 'F16', {
        expertUsed: used,
        expertCount: count,
        layers: 1,
      })
      await expect(loadModel(path)).rejects.toThrow(
        new RegExp(
          `expert_used_count = ${used} must be between 1 and expert_count = ${count}`,
        ),
      )
    }
  })

  test('config.json: num_experts_per_tok > num_local_experts is a clear load error', async () => {
    const dir = join(root, 'bad-hf')
    writeTinyMoeCheckpoint(dir, join(root, 'bad-hf.gguf'), 'mixtral', {
      layout: 'mlx',
    })
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))
    config.num_experts_per_tok = 12
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config))
    await expect(loadModel(dir)).rejects.toThrow(
      /expert_used_count = 12 must be between 1 and expert_count = 8/,
    )
  })
})

const FAMILIES: [MoeFamily, MoeQuant][] = [
  ['qwen3moe', 'Q8_0'],
  ['mixtral', 'Q4_K'],
  ['gpt-oss', 'MXFP4'],
]

describe.each(FAMILIES)('%s %s', (family, quant) => {
  const path = () => join(root, `${family}-${quant}.gguf`)
  beforeAll(() => writeTinyMoeGguf(path(), family, quant))

  test('one 48-token chunk and one token at a time give the same logits', async () => {
    const tokens = Array.from({ length: 48 }, (_, i) => 3 + ((i * 91) % 250))
    // One chunk: 96+ (row, expert) pairs take the sorted path; gpt-oss's
    // window (8) cuts into it, so attention is the masked softmax + sinks.
    await using whole = await loadModel(path())
    const a = await whole.evaluate(tokens, { from: 0, topK: 3 })
    // One token per step, as decoding runs: per-row gathers, and gpt-oss
    // attends to its window through MLX's sdpa with sinks.
    await using small = await loadModel(path(), { prefillChunkSize: 1 })
    const b = await small.evaluate(tokens, { from: 0, topK: 3 })
    expect(Array.from(b.topIds)).toEqual(Array.from(a.topIds))
    let maxDiff = 0
    a.topLogits.forEach((v, i) => {
      maxDiff = Math.max(maxDiff, Math.abs(v - (b.topLogits[i] as number)))
    })
    expect(maxDiff).toBeLessThan(1e-3)
  })

  test('concurrent requests (continuous batching) decode as they do alone', async () => {
    await using model = await loadModel(path(), { parallel: 3 })
    const run = async (prompt: string) => {
      const stream = model.generate(prompt, {
        raw: true,
        temperature: 0,
        maxTokens: 12,
        promptCache: false,
      })
      for await (const _ of stream) {
      }
      return (await stream.result).tokenIds
    }
    const prompts = ['mixture of experts', 'the router picks', 'zz top k']
    const alone: number[][] = []
    for (const p of prompts) alone.push(await run(p))
    const together = await Promise.all(prompts.map(run))
    expect(together).toEqual(alone)
    for (const ids of alone) expect(ids).toHaveLength(12)
  })
})

test('an early Mixtral GGUF (one tensor per expert) runs like the merged layout', async () => {
  const merged = join(root, 'mixtral-merged.gguf')
  const split = join(root, 'mixtral-split.gguf')
  writeTinyMoeGguf(merged, 'mixtral', 'Q4_K')
  writeTinyMoeGguf(split, 'mixtral', 'Q4_K', { splitExperts: true })
  const tokens = Array.from({ length: 24 }, (_, i) => 3 + ((i * 53) % 250))
  await using a = await loadModel(merged)
  await using b = await loadModel(split)
  const ea = await a.evaluate(tokens, { from: 0, topK: 3 })
  const eb = await b.evaluate(tokens, { from: 0, topK: 3 })
  expect(Array.from(eb.topIds)).toEqual(Array.from(ea.topIds))
  expect(Array.from(eb.topLogits)).toEqual(Array.from(ea.topLogits))
})
