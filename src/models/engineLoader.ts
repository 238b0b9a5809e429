// The production ModelLoader: loads a catalogue entry with the native engine.
// Imported lazily so the catalogue and the CLI work without the addon built.
import { join } from 'node:path'
import type { LoadModelOptions } from '../engine/types.ts'
import { getPocketHome } from './paths.ts'
import { DEFAULT_PARALLEL } from './residency/instance.ts'
import type { EngineModel, LocalModel, ModelLoader } from './types.ts'

export const engineLoader: ModelLoader = async (
  local: LocalModel,
  options: LoadModelOptions,
): Promise<EngineModel> => {
  if (local.type === 'embeddings') {
    const { loadEmbeddingModel } = await import(
      '../engine/embeddings/loadEmbeddingModel.ts'
    )
    return loadEmbeddingModel(local.path) as unknown as EngineModel
  }
  const engine = await import('../engine/index.ts')
  // Served models persist their prefix cache across restarts and batch up
  // to 8 concurrent streams unless told otherwise.
  return engine.loadModel(local.path, {
    promptCacheDir: join(getPocketHome(), 'prompt-cache'),
    parallel: DEFAULT_PARALLEL,
    ...options,
  })
}
