// Benchmarks take `--model` as a file/folder path or a model-store id
// (`smollm2`, `gemma-3-270m@q4_k_m`, ...), so they run with no arguments on a
// fresh clone after `npm install` registered the test models.
import { existsSync } from 'node:fs'
import { ModelStore } from '../../src/models/ModelStore.ts'

export async function resolveBenchModel(model: string): Promise<string> {
  if (existsSync(model)) return model
  try {
    return (await new ModelStore().resolve(model)).path
  } catch (e) {
    throw new Error(
      `benchmark model ${model} is neither a path nor a model in the store (${(e as Error).message}); run \`npm install\` to register the test models`,
    )
  }
}
