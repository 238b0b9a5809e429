// Bad model files of the newer families give clear, typed errors — an
// unknown architecture (named, with the supported list), missing tensors,
// shapes that contradict the metadata, malformed sliding-window or rope
// data, unknown config.json model types — and the process keeps working.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  loadModel,
  ModelLoadError,
  UnsupportedModelError,
} from '../../../src/engine/index.ts'
import type { TinyFamily } from '../../helpers/tinyFamilies.ts'
import { teacherTokens } from '../../helpers/tinyFamilies.ts'
import {
  type TinyFamilyOptions,
  writeTinyFamilyGguf,
} from '../../helpers/tinyFamilyGguf.ts'
import { writeTinyFamilyCheckpoint } from '../../helpers/tinyFamilyHf.ts'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-families-bad-'))
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

let n = 0
async function ggufError(
  family: TinyFamily,
  edit: TinyFamilyOptions['edit'],
): Promise<Error> {
  const path = join(dir, `bad-${n++}.gguf`)
  writeTinyFamilyGguf(path, family, { edit })
  try {
    const m = await loadModel(path)
    await m.dispose()
  } catch (e) {
    return e as Error
  }
  throw new Error(`loading ${family} with the edit unexpectedly succeeded`)
}

describe('GGUF', () => {
  test('an unknown architecture is named, with the supported ones', async () => {
    const e = await ggufError('gemma3', (meta) => {
      meta['general.architecture'] = { type: 'string', value: 'mamba9' }
    })
    expect(e).toBeInstanceOf(UnsupportedModelError)
    expect(e.message).toContain("'mamba9'")
    expect(e.message).toContain('gemma3')
  })

  test('a missing norm tensor is named by layer', async () => {
    const e = await ggufError('gemma3', (_, tensors) => {
      tensors.splice(
        tensors.findIndex((t) => t.name === 'blk.2.post_ffw_norm.weight'),
        1,
      )
    })
    expect(e).toBeInstanceOf(ModelLoadError)
    expect(e.message).toContain('missing norm weights in layer 2')
  })

  test('a missing projection is named', async () => {
    const e = await ggufError('phi3', (_, tensors) => {
      tensors.splice(
        tensors.findIndex((t) => t.name === 'blk.1.attn_qkv.weight'),
        1,
      )
    })
    expect(e).toBeInstanceOf(ModelLoadError)
    expect(e.message).toContain('blk.1.attn_q')
  })

  test('head counts that contradict the tensors', async () => {
    const e = await ggufError('gemma3', (meta) => {
      meta['gemma3.attention.head_count'] = { type: 'u32', value: 8 }
    })
    expect(e).toBeInstanceOf(ModelLoadError)
    expect(e.message).toContain('attention projection shapes')
  })

  test('a sliding-window pattern of the wrong length', async () => {
    const e = await ggufError('gemma3', (meta) => {
      meta['gemma3.attention.sliding_window_pattern'] = {
        type: 'i32s',
        value: [1, 1, 0],
      }
    })
    expect(e).toBeInstanceOf(ModelLoadError)
    expect(e.message).toContain('sliding_window_pattern')
  })

  test('LongRoPE with one of its two factor tensors', async () => {
    const e = await ggufError('phi3', (_, tensors) => {
      tensors.splice(
        tensors.findIndex((t) => t.name === 'rope_factors_short.weight'),
        1,
      )
    })
    expect(e).toBeInstanceOf(ModelLoadError)
    expect(e.message).toContain('rope_factors_short')
  })

  test('rope factors of the wrong length', async () => {
    const e = await ggufError('llama', (_, tensors) => {
      const t = tensors.find((x) => x.name === 'rope_freqs.weight')
      if (t) {
        t.dims = [16]
        t.data = t.data.subarray(0, 64)
      }
    })
    expect(e).toBeInstanceOf(ModelLoadError)
    expect(e.message).toContain('rope frequency tensor')
  })

  test('an unknown rope scaling type', async () => {
    const e = await ggufError('qwen2', (meta) => {
      meta['qwen2.rope.scaling.type'] = { type: 'string', value: 'wobbly' }
    })
    expect(e).toBeInstanceOf(UnsupportedModelError)
    expect(e.message).toContain("'wobbly'")
  })
})

describe('config.json', () => {
  test('an unknown model_type is named', async () => {
    const path = join(dir, 'hf-unknown')
    writeTinyFamilyCheckpoint(path, 'gemma3')
    const config = JSON.parse(readFileSync(join(path, 'config.json'), 'utf8'))
    writeFileSync(
      join(path, 'config.json'),
      JSON.stringify({ ...config, model_type: 'mamba9' }),
    )
    const e = await loadModel(path).then(
      () => new Error('loaded'),
      (err: Error) => err,
    )
    expect(e).toBeInstanceOf(UnsupportedModelError)
    expect(e.message).toContain('"mamba9"')
  })

  test('a Gemma 3 config that contradicts its weights', async () => {
    const path = join(dir, 'hf-shapes')
    writeTinyFamilyCheckpoint(path, 'gemma3')
    const config = JSON.parse(readFileSync(join(path, 'config.json'), 'utf8'))
    writeFileSync(
      join(path, 'config.json'),
      JSON.stringify({ ...config, head_dim: 128 }),
    )
    const e = await loadModel(path).then(
      () => new Error('loaded'),
      (err: Error) => err,
    )
    expect(e).toBeInstanceOf(ModelLoadError)
  })

  test('the process still loads and runs a good model afterwards', async () => {
    const path = join(dir, 'good.gguf')
    writeTinyFamilyGguf(path, 'gemma3')
    await using model = await loadModel(path)
    const ev = await model.evaluate(teacherTokens().slice(0, 8), { topK: 1 })
    expect(ev.rows).toBe(8)
  })
})
