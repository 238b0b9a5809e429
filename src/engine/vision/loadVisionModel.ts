// Loads a vision encoder folder (HF layout): CLIP or SigLIP (image + text
// towers), or the vision tower + connector of a SmolVLM/Idefics3 or LLaVA
// checkpoint (the decoder half is loaded by the decoder path).
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Tokenizer } from '@huggingface/tokenizers'
import { loadNativeEncoder } from '../embeddings/nativeEncoder.ts'
import { ModelLoadError } from '../errors.ts'
import { toEngineError } from '../toEngineError.ts'
import { readVisionConfig } from './readVisionConfig.ts'
import { VisionModel } from './VisionModel.ts'

export async function loadVisionModel(path: string): Promise<VisionModel> {
  const config = readVisionConfig(path)
  const files = readdirSync(path)
    .filter((f) => f.endsWith('.safetensors'))
    .sort()
    .map((f) => join(path, f))
  if (files.length === 0)
    throw new ModelLoadError(path, { details: 'no .safetensors files' })
  let tokenizer: Tokenizer | undefined
  if (config.native.text && existsSync(join(path, 'tokenizer.json'))) {
    const json = JSON.parse(readFileSync(join(path, 'tokenizer.json'), 'utf8'))
    tokenizer = new Tokenizer(json, {})
  }
  const kind =
    config.output === 'features'
      ? 'vlm_vision'
      : config.native.family === 'siglip'
        ? 'siglip'
        : 'clip'
  try {
    const native = await loadNativeEncoder({
      kind,
      path,
      files,
      config: config.native,
    })
    return new VisionModel({ path, config, native, tokenizer })
  } catch (e) {
    throw toEngineError(e, path)
  }
}
