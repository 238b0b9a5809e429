// Loads a sentence-embedding model (BERT family, sentence-transformers
// layout) from a Hugging Face folder: config.json, *.safetensors,
// tokenizer.json and the optional pooling/normalize modules.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { Tokenizer } from '@huggingface/tokenizers'
import { engineBackend } from '../engineBackend.ts'
import { ModelLoadError } from '../errors.ts'
import { toEngineError } from '../toEngineError.ts'
import { EmbeddingModel } from './EmbeddingModel.ts'
import { loadNativeEncoder, type NativeEncoder } from './nativeEncoder.ts'
import { readEncoderConfig } from './readEncoderConfig.ts'

export type LoadEmbeddingModelParameters = { path: string }
export type LoadEmbeddingModelReturnType = EmbeddingModel

export async function loadEmbeddingModel(
  path: string,
): Promise<EmbeddingModel> {
  if (!existsSync(path) || !statSync(path).isDirectory())
    throw new ModelLoadError(path, { details: 'expected a model folder' })
  const config = readEncoderConfig(path)
  const files = readdirSync(path)
    .filter((f) => f.endsWith('.safetensors'))
    .sort()
    .map((f) => join(path, f))
  if (files.length === 0)
    throw new ModelLoadError(path, { details: 'no .safetensors files' })
  let tokenizer: Tokenizer
  try {
    const json = JSON.parse(readFileSync(join(path, 'tokenizer.json'), 'utf8'))
    const tc = existsSync(join(path, 'tokenizer_config.json'))
      ? JSON.parse(readFileSync(join(path, 'tokenizer_config.json'), 'utf8'))
      : {}
    tokenizer = new Tokenizer(json, tc)
  } catch (cause) {
    throw new ModelLoadError(path, {
      details: 'missing or invalid tokenizer.json',
      cause,
    })
  }
  let native: NativeEncoder
  try {
    native = await loadNativeEncoder({
      kind: 'bert',
      path,
      files,
      config: config.native,
    })
  } catch (e) {
    throw toEngineError(e, path)
  }
  return new EmbeddingModel({
    native,
    config,
    tokenizer,
    info: {
      path,
      format: 'safetensors',
      type: 'embeddings',
      architecture: config.architecture,
      contextLength: config.maxSeqLength,
      vocabSize: config.vocabSize,
      hiddenSize: config.native.hiddenSize,
      numLayers: config.native.numLayers,
      quantization: 'F32',
      sizeBytes: files.reduce((a, f) => a + statSync(f).size, 0),
      // Encoders compute in float32 on whichever device the engine uses.
      backend: engineBackend().name,
      dtype: 'float32',
    },
  })
}
