// Resolves `-m` and loads the model; the one place CLI commands get a Model.
import { loadModel } from '../engine/loadModel.ts'
import type { Model } from '../engine/model.ts'
import { resolveModelPath } from './resolveModelPath.ts'

export async function openModel(model: string): Promise<Model> {
  const path = await resolveModelPath({ model })
  return loadModel(path)
}
