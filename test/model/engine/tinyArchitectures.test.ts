// Every supported decoder architecture, on tiny random-weight checkpoints the
// test writes itself: loads, reports its architecture, and decodes the same
// greedy tokens twice.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Model } from '../../../src/engine/index.ts'
import { loadModel } from '../../../src/engine/index.ts'
import {
  type TinyArchitecture,
  type TinyCheckpointOptions,
  writeTinyCheckpoint,
} from '../../helpers/tinyCheckpoint.ts'

let root: string
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pocket-tiny-'))
})
afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})

async function greedy(model: Model, prompt: string): Promise<number[]> {
  const stream = model.generate(prompt, {
    raw: true,
    temperature: 0,
    maxTokens: 8,
  })
  for await (const _ of stream) {
  }
  const stats = await stream.result
  expect(stats.completionTokens).toBe(stats.tokenIds.length)
  return stats.tokenIds
}

async function checkDecodes(
  arch: TinyArchitecture,
  name: string,
  options: TinyCheckpointOptions = {},
): Promise<number[]> {
  const dir = join(root, name)
  const written = writeTinyCheckpoint(dir, arch, options)
  await using model = await loadModel(dir)
  expect(model.info.architecture).toBe(arch)
  expect(model.info.format).toBe('safetensors')
  expect(model.info.vocabSize).toBe(written.vocabSize)
  expect(model.info.numLayers).toBe(2)
  expect(model.info.quantization).toBe(options.quantize ? '4bit' : 'float32')
  const first = await greedy(model, 'hello tiny model')
  // Seeded weights: the random model deterministically runs to maxTokens.
  expect(first).toHaveLength(8)
  for (const id of first) expect(id).toBeLessThan(written.vocabSize)
  expect(await greedy(model, 'hello tiny model')).toEqual(first)
  // Without the prefix cache the same tokens come out.
  const stream = model.generate('hello tiny model', {
    raw: true,
    temperature: 0,
    maxTokens: 8,
    promptCache: false,
  })
  for await (const _ of stream) {
  }
  expect((await stream.result).tokenIds).toEqual(first)
  return first
}

describe('tiny checkpoints', () => {
  test('the writer is reproducible (seeded)', () => {
    writeTinyCheckpoint(join(root, 'repro-a'), 'qwen2')
    writeTinyCheckpoint(join(root, 'repro-b'), 'qwen2')
    const a = readFileSync(join(root, 'repro-a', 'model.safetensors'))
    const b = readFileSync(join(root, 'repro-b', 'model.safetensors'))
    expect(a.equals(b)).toBe(true)
  })

  let llamaTokens: number[] = []
  test('llama (separate lm_head) loads and decodes deterministically', async () => {
    llamaTokens = await checkDecodes('llama', 'llama')
  })

  test('mistral (tied embeddings) loads and decodes deterministically', async () => {
    await checkDecodes('mistral', 'mistral')
  })

  test('qwen2 (q/k/v biases, tied) loads and decodes deterministically', async () => {
    await checkDecodes('qwen2', 'qwen2')
  })

  test('qwen3 (q/k norms, explicit head_dim, separate lm_head) loads and decodes deterministically', async () => {
    await checkDecodes('qwen3', 'qwen3')
  })

  test('llama with Llama-3 rope_scaling loads and decodes deterministically', async () => {
    const scaled = await checkDecodes('llama', 'llama3-rope', {
      ropeScaling: {
        rope_type: 'llama3',
        factor: 8,
        low_freq_factor: 1,
        high_freq_factor: 4,
        original_max_position_embeddings: 64,
      },
    })
    // Same weights as the plain llama: the scaled rotary frequencies must
    // actually change the computation.
    expect(scaled).not.toEqual(llamaTokens)
  })

  test('MLX-quantized (4-bit, group 32) llama loads and decodes deterministically', async () => {
    await checkDecodes('llama', 'llama-4bit', { quantize: true })
  })

  test('a chat through the ChatML template of tokenizer_config.json', async () => {
    const dir = join(root, 'chat')
    writeTinyCheckpoint(dir, 'qwen3')
    await using model = await loadModel(dir)
    expect(model.applyChatTemplate([{ role: 'user', content: 'hi' }])).toBe(
      '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n',
    )
    const stream = model.generate([{ role: 'user', content: 'hi' }], {
      temperature: 0,
      maxTokens: 4,
    })
    for await (const _ of stream) {
    }
    const stats = await stream.result
    expect(stats.promptTokens).toBe(
      model.promptTokens([{ role: 'user', content: 'hi' }]).length,
    )
    expect(['eos', 'maxTokens']).toContain(stats.stopReason)
  })
})
