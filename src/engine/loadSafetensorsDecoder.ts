// Loads the decoder of a Hugging Face safetensors folder into the native
// engine with the load options every caller shares (text models and VLMs).
import { join } from 'node:path'
import { type NativeDecoderConfig, type NativeModel, native } from './native.ts'
import { toEngineError } from './toEngineError.ts'
import type { LoadModelOptions } from './types.ts'

export async function loadSafetensorsDecoder(
  dir: string,
  files: string[],
  config: NativeDecoderConfig,
  options: LoadModelOptions,
): Promise<NativeModel> {
  try {
    return await native().loadModel({
      path: dir,
      format: 'safetensors',
      files,
      tokenizerJson: join(dir, 'tokenizer.json'),
      config,
      contextLength: options.contextLength,
      prefillChunkSize: options.prefillChunkSize,
      decodeActivations: options.decodeActivations,
      parallel: options.parallel,
      kvBits: options.kvBits,
      dtype: options.dtype,
    })
  } catch (e) {
    throw toEngineError(e, dir)
  }
}
