// LM Studio's download folder (`<publisher>/<repo>/<file>.gguf`) is scanned
// read-only: its models are listed and resolvable without an import, next
// to the HF cache's, and the folder is left untouched.
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ModelStore } from '../../../src/models/ModelStore.ts'
import { getLmStudioModelsDir } from '../../../src/models/paths.ts'
import { tinyLlamaMetadata, writeGguf } from '../../helpers/tinyGguf.ts'

let root: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pocket-lms-'))
  const repo = join(root, 'lmstudio', 'lmstudio-community', 'Tiny-1B-GGUF')
  await mkdir(repo, { recursive: true })
  writeGguf(join(repo, 'Tiny-1B-Q4_K_M.gguf'), tinyLlamaMetadata(), [])
})
afterAll(() => rm(root, { recursive: true, force: true }))

describe("LM Studio's models folder", () => {
  it('lists its models (source lmstudio) and resolves them by key and alias', async () => {
    const store = new ModelStore({
      hubCacheDir: join(root, 'hub'),
      importsDir: join(root, 'imports'),
      lmstudioDir: join(root, 'lmstudio'),
    })
    const models = await store.list()
    expect(models).toHaveLength(1)
    expect(models[0]).toMatchObject({
      key: 'lmstudio-community/Tiny-1B-GGUF',
      source: 'lmstudio',
      format: 'gguf',
      variant: 'q4_k_m',
      architecture: 'llama',
    })
    expect((await store.resolve('tiny-1b')).path).toBe(models[0]?.path)
    expect(await readdir(join(root, 'lmstudio'))).toEqual([
      'lmstudio-community',
    ])
    const off = new ModelStore({
      hubCacheDir: join(root, 'hub'),
      importsDir: join(root, 'imports'),
      lmstudioDir: null,
    })
    expect(await off.list()).toEqual([])
  })

  it('defaults to ~/.lmstudio/models, LMSTUDIO_MODELS_DIR overrides', () => {
    expect(getLmStudioModelsDir({ HOME: '/h' })).toMatch(/\.lmstudio\/models$/)
    expect(getLmStudioModelsDir({ LMSTUDIO_MODELS_DIR: '/x/models' })).toBe(
      '/x/models',
    )
  })
})
