// The production ModelLoader: loads a catalogue entry with the native engine.
// Imported lazily so the catalogue and the CLI work without the addon built.
import type { LoadModelOptions } from '../engine/types.ts'
import type { EngineModel, LocalModel, ModelLoader } from './types.ts'

export const engineLoader: ModelLoader = async (
  local: LocalModel,
  options: LoadModelOptions,
): Promise<EngineModel> => {
  const engine = await import('../engine/index.ts')
  return engine.loadModel(local.path, options)
}
