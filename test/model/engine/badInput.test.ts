// Bad input never crashes the process: missing, truncated and forged model
// files, unsupported tensor types and architectures, prompts that overflow the
// context and out-of-range sampling options all surface as typed errors, and
// the same process keeps generating afterwards.
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { GenerateOptions, Model } from '../../../src/engine/index.ts'
import {
  ContextOverflowError,
  InvalidOptionError,
  loadModel,
  ModelLoadError,
  UnsupportedModelError,
} from '../../../src/engine/index.ts'
import { smollm2Path } from '../../helpers/models.ts'
import { writeTinyCheckpoint } from '../../helpers/tinyCheckpoint.ts'
import {
  ggufBytes,
  tinyLlamaMetadata,
  writeGguf,
} from '../../helpers/tinyGguf.ts'

let tmp: string
let model: Model

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'pocket-bad-'))
  model = await loadModel(smollm2Path(), { contextLength: 64 })
})
afterAll(async () => {
  await model?.dispose()
  rmSync(tmp, { recursive: true, force: true })
})

/** The error `loadModel` rejects with (fails the test if it resolves). */
async function loadError(path: string): Promise<Error> {
  try {
    const m = await loadModel(path)
    await m.dispose()
  } catch (e) {
    return e as Error
  }
  throw new Error(`loadModel(${path}) unexpectedly succeeded`)
}

/** The error a generation fails with, thrown synchronously or while streaming. */
async function generateError(
  input: string,
  options: GenerateOptions,
): Promise<Error> {
  try {
    const stream = model.generate(input, { maxTokens: 2, ...options })
    for await (const _ of stream) {
    }
    await stream.result
  } catch (e) {
    return e as Error
  }
  throw new Error(
    `generate with ${JSON.stringify(options)} unexpectedly succeeded`,
  )
}

/** Copies the first `n` bytes of a file. */
function truncatedCopy(src: string, n: number, dst: string): string {
  const buf = Buffer.alloc(n)
  const fd = openSync(src, 'r')
  try {
    readSync(fd, buf, 0, n, 0)
  } finally {
    closeSync(fd)
  }
  writeFileSync(dst, buf)
  return dst
}

/** Seeded bytes (xorshift32) so forged files are reproducible. */
function randomBytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n)
  let x = seed >>> 0 || 1
  for (let i = 0; i < n; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    b[i] = x & 0xff
  }
  return b
}

describe('model files', () => {
  test('a missing file is a ModelLoadError', async () => {
    const e = await loadError(join(tmp, 'nope.gguf'))
    expect(e).toBeInstanceOf(ModelLoadError)
    expect((e as ModelLoadError).path).toBe(join(tmp, 'nope.gguf'))
  })

  // SmolLM2's GGUF: metadata runs to ~1.77 MB (vocab at 1 KB-763 KB), tensor
  // infos to ~1.79 MB, then 96 MB of tensor data.
  const cuts: [string, (size: number) => number][] = [
    ['empty', () => 0],
    ['mid-magic', () => 3],
    ['mid-counts', () => 12],
    ['mid-metadata key', () => 100],
    ['mid-vocabulary array', () => 500_000],
    ['mid-tensor infos', () => 1_775_000],
    ['header only, no data', () => 1_785_700],
    ['mid-data', (size) => Math.floor(size / 2)],
    ['one byte short', (size) => size - 1],
  ]
  test.each(cuts)(
    'a GGUF truncated %s is a ModelLoadError',
    async (_label, cut) => {
      const src = smollm2Path()
      const path = truncatedCopy(
        src,
        cut(statSync(src).size),
        join(tmp, 'truncated.gguf'),
      )
      const e = await loadError(path)
      expect(e).toBeInstanceOf(ModelLoadError)
      rmSync(path)
    },
  )

  test('random bytes behind a GGUF magic are a ModelLoadError', async () => {
    for (const seed of [1, 2, 3]) {
      const path = join(tmp, `forged-${seed}.gguf`)
      const version = Buffer.alloc(4)
      version.writeUInt32LE(3)
      writeFileSync(
        path,
        Buffer.concat([Buffer.from('GGUF'), version, randomBytes(4096, seed)]),
      )
      const e = await loadError(path)
      expect(e).toBeInstanceOf(ModelLoadError)
    }
  })

  test('a file that is not GGUF at all is a ModelLoadError', async () => {
    const path = join(tmp, 'noise.gguf')
    writeFileSync(path, randomBytes(4096, 7))
    expect(await loadError(path)).toBeInstanceOf(ModelLoadError)
  })

  test('plausible counts followed by garbage strings are a ModelLoadError', async () => {
    // Valid header (1 tensor, 1 key) whose first key length is random.
    const header = ggufBytes({}, []).subarray(0, 24)
    header.writeBigUInt64LE(1n, 8)
    header.writeBigUInt64LE(1n, 16)
    const path = join(tmp, 'garbage-key.gguf')
    writeFileSync(path, Buffer.concat([header, randomBytes(256, 11)]))
    expect(await loadError(path)).toBeInstanceOf(ModelLoadError)
  })

  test('a valid header claiming a huge tensor is a ModelLoadError', async () => {
    const meta = tinyLlamaMetadata()
    const huge = (dims: bigint[]) => [
      { name: 'token_embd.weight', dims, type: 0, offset: 0n },
    ]
    // 16 GiB of F32 that the file does not hold.
    writeGguf(
      join(tmp, 'huge.gguf'),
      meta,
      huge([65536n, 65536n]),
      Buffer.alloc(1024),
    )
    expect(await loadError(join(tmp, 'huge.gguf'))).toBeInstanceOf(
      ModelLoadError,
    )
    // Element counts that overflow 64 bits.
    writeGguf(
      join(tmp, 'overflow.gguf'),
      meta,
      huge([1n << 32n, 1n << 32n]),
      Buffer.alloc(1024),
    )
    expect(await loadError(join(tmp, 'overflow.gguf'))).toBeInstanceOf(
      ModelLoadError,
    )
    writeGguf(
      join(tmp, 'overflow4.gguf'),
      meta,
      huge([65536n, 65536n, 65536n, 65536n]),
    )
    expect(await loadError(join(tmp, 'overflow4.gguf'))).toBeInstanceOf(
      ModelLoadError,
    )
  })

  test('a tensor type the engine cannot load (IQ2_XXS) is an UnsupportedModelError naming it', async () => {
    const path = join(tmp, 'iq2.gguf')
    // ggml type 16 = IQ2_XXS: 256-element blocks of 66 bytes.
    writeGguf(
      path,
      tinyLlamaMetadata(),
      [{ name: 'token_embd.weight', dims: [256n, 4n], type: 16, offset: 0n }],
      Buffer.alloc(66 * 4),
    )
    const e = await loadError(path)
    expect(e).toBeInstanceOf(UnsupportedModelError)
    expect(e.message).toMatch(/unsupported tensor type/i)
    expect(e.message).toContain('IQ2_XXS')
  })

  test('a K-quant file truncated mid-super-block is a ModelLoadError naming the tensor', async () => {
    const path = join(tmp, 'q4k-short.gguf')
    // ggml type 12 = Q4_K: 256-element blocks of 144 bytes; 4 rows need 576.
    writeGguf(
      path,
      tinyLlamaMetadata(),
      [{ name: 'token_embd.weight', dims: [256n, 4n], type: 12, offset: 0n }],
      Buffer.alloc(144 * 3 + 70),
    )
    const e = await loadError(path)
    expect(e).toBeInstanceOf(ModelLoadError)
    expect(e.message).toMatch(/truncated/)
    expect(e.message).toContain('token_embd.weight')
  })

  test('a row size that is not a multiple of its block size is a ModelLoadError', async () => {
    const path = join(tmp, 'q6k-rows.gguf')
    // Q6_K blocks hold 256 elements; a row of 320 cannot be split into them.
    writeGguf(
      path,
      tinyLlamaMetadata(),
      [{ name: 'token_embd.weight', dims: [320n, 2n], type: 14, offset: 0n }],
      Buffer.alloc(210 * 4),
    )
    const e = await loadError(path)
    expect(e).toBeInstanceOf(ModelLoadError)
    expect(e.message).toMatch(/not a multiple of the Q6_K block size 256/)
  })

  test('a sharded GGUF with a missing part is a ModelLoadError naming the part', async () => {
    const path = join(tmp, 'split-00001-of-00002.gguf')
    writeGguf(path, tinyLlamaMetadata(), [])
    const e = await loadError(path)
    expect(e).toBeInstanceOf(ModelLoadError)
    expect(e.message).toMatch(/missing part 2 of 2/)
  })

  test('an unsupported architecture (gpt_bigcode) is an UnsupportedModelError', async () => {
    const dir = join(tmp, 'bigcode')
    writeTinyCheckpoint(dir, 'llama')
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ ...config, model_type: 'gpt_bigcode' }),
    )
    const e = await loadError(dir)
    expect(e).toBeInstanceOf(UnsupportedModelError)
    expect(e.message).toContain('gpt_bigcode')
  })

  test('truncated safetensors are a ModelLoadError', async () => {
    const dir = join(tmp, 'st')
    writeTinyCheckpoint(dir, 'llama')
    const file = join(dir, 'model.safetensors')
    const full = readFileSync(file)
    const headerEnd = 8 + Number(full.readBigUInt64LE(0))
    for (const n of [
      0,
      4,
      8 + 20,
      headerEnd,
      Math.floor((headerEnd + full.length) / 2),
      full.length - 1,
    ]) {
      writeFileSync(file, full.subarray(0, n))
      const e = await loadError(dir)
      expect(e, `cut at ${n}`).toBeInstanceOf(ModelLoadError)
    }
    writeFileSync(file, full)
    const m = await loadModel(dir) // the intact copy loads
    await m.dispose()
  })

  test('a safetensors folder with a broken config.json or no tokenizer is a ModelLoadError', async () => {
    const dir = join(tmp, 'st-broken')
    writeTinyCheckpoint(dir, 'qwen2')
    const config = readFileSync(join(dir, 'config.json'), 'utf8')
    writeFileSync(join(dir, 'config.json'), config.slice(0, 40))
    expect(await loadError(dir)).toBeInstanceOf(ModelLoadError)
    writeFileSync(join(dir, 'config.json'), config)
    rmSync(join(dir, 'tokenizer.json'))
    expect(await loadError(dir)).toBeInstanceOf(ModelLoadError)
  })
})

describe('requests', () => {
  test('a prompt longer than the context is a ContextOverflowError with both numbers', async () => {
    expect(model.info.contextLength).toBe(64)
    const prompt = 'The quick brown fox jumps over the lazy dog. '.repeat(20)
    const promptTokens = model.promptTokens(prompt, { raw: true }).length
    expect(promptTokens).toBeGreaterThan(64)
    const e = await generateError(prompt, { raw: true })
    expect(e).toBeInstanceOf(ContextOverflowError)
    expect((e as ContextOverflowError).promptTokens).toBe(promptTokens)
    expect((e as ContextOverflowError).contextLength).toBe(64)
    // Through the chat template too.
    const chat = await generateError(prompt, {})
    expect(chat).toBeInstanceOf(ContextOverflowError)
    expect((chat as ContextOverflowError).contextLength).toBe(64)
  })

  const invalid: [string, GenerateOptions][] = [
    ['temperature', { temperature: -1 }],
    ['top_p', { topP: 0 }],
    ['top_k', { topK: 1.5 }],
    ['max_tokens', { maxTokens: 0 }],
    ['logit_bias', { logitBias: { 49152: 5 } }], // vocabulary is 0..49151
    ['logit_bias', { logitBias: { 1000000: 5 } }],
    ['presence_penalty', { presencePenalty: 5 }],
  ]
  test.each(invalid)(
    'an out-of-range %s is an InvalidOptionError naming it',
    async (param, options) => {
      const e = await generateError('Hi', { raw: true, ...options })
      expect(e).toBeInstanceOf(InvalidOptionError)
      expect((e as InvalidOptionError).param).toBe(param)
      expect(model.activeGenerations).toBe(0)
    },
  )

  test('after all of that the process still generates text', async () => {
    const stream = model.generate('The capital of France is', {
      raw: true,
      temperature: 0,
      maxTokens: 4,
    })
    let text = ''
    for await (const chunk of stream) text += chunk.text
    const stats = await stream.result
    expect(text.trim().length).toBeGreaterThan(0)
    expect(stats.completionTokens).toBeGreaterThan(0)
  })
})
