// Loads a model from a path: a .gguf file, or a Hugging Face folder with
// config.json + *.safetensors (+ tokenizer.json); a config.json with a
// `vision_config` is a VLM (SmolVLM/Idefics3, LLaVA) and loads as one.

import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { ChatTemplate } from './chatTemplate.ts'
import { decoderConfigFromHf } from './decoderConfig.ts'
import { ModelLoadError } from './errors.ts'
import { fallbackChatTemplate } from './fallbackChatTemplate.ts'
import { ggufFileType } from './ggufFileType.ts'
import { ggufShards } from './ggufShards.ts'
import { loadSafetensorsDecoder } from './loadSafetensorsDecoder.ts'
import { Model } from './model.ts'
import { type NativeModel, native } from './native.ts'
import {
  readGenerationConfig,
  samplingDefaultsFromGguf,
} from './samplingDefaults.ts'
import { toEngineError } from './toEngineError.ts'
import { TextTokenizer } from './tokenizer.ts'
import type { LoadModelOptions, ModelInfo } from './types.ts'
import { loadVisionLanguageModel } from './vision/loadVisionLanguageModel.ts'
import { readTensorNames, vlmDecoderConfig } from './vision/vlmDecoderConfig.ts'

export type LoadModelParameters = LoadModelOptions
export type LoadModelReturnType = Model

export async function loadModel(
  path: string,
  options: LoadModelOptions = {},
): Promise<Model> {
  if (!existsSync(path))
    throw new ModelLoadError(path, { details: 'no such file or directory' })
  const stat = statSync(path)
  const dir = stat.isDirectory() ? path : dirname(path)
  // Progress events of the engine thread can arrive after the load settled:
  // those are dropped, so 1 is always the last value a caller sees.
  let settled = false
  const onProgress = options.onProgress
    ? (f: number) => {
        if (!settled) options.onProgress?.(Math.min(f, 0.99))
      }
    : undefined
  let model: Model
  try {
    model =
      stat.isFile() && !path.endsWith('.safetensors')
        ? await loadGguf(path, { ...options, onProgress })
        : await loadSafetensors(dir, options)
  } finally {
    settled = true
  }
  if (options.promptCacheDir) {
    // One file per model identity (path, size, mtime): a changed file never
    // gets another model's KV.
    const id = createHash('sha256')
      .update(
        `${path}\0${stat.size}\0${stat.mtimeMs}\0${model.info.contextLength}`,
      )
      .digest('hex')
      .slice(0, 32)
    model.promptCacheFile = join(options.promptCacheDir, `${id}.safetensors`)
    if (existsSync(model.promptCacheFile))
      await model.loadPromptCache(model.promptCacheFile).catch(() => 0) // stale or damaged: start cold
  }
  options.onProgress?.(1)
  return model
}

async function loadGguf(
  path: string,
  options: LoadModelOptions,
): Promise<Model> {
  let nm: NativeModel
  try {
    nm = await native().loadModel({
      path,
      format: 'gguf',
      contextLength: options.contextLength,
      prefillChunkSize: options.prefillChunkSize,
      decodeActivations: options.decodeActivations,
      parallel: options.parallel,
      kvBits: options.kvBits,
      dtype: options.dtype,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    })
  } catch (e) {
    throw toEngineError(e, path)
  }
  try {
    const meta = nm.metadata
    const tokenizer = TextTokenizer.fromGguf(meta, path)
    const template = new ChatTemplate(
      (meta['tokenizer.chat_template'] as string | undefined) ??
        fallbackChatTemplate((t) => tokenizer.tokenId(t)),
    )
    const info: ModelInfo = {
      path,
      format: 'gguf',
      type: 'llm',
      architecture: nm.info.architecture,
      contextLength: nm.info.contextLength,
      vocabSize: nm.info.vocabSize,
      hiddenSize: nm.info.hiddenSize,
      numLayers: nm.info.numLayers,
      quantization: ggufFileType(meta['general.file_type']),
      sizeBytes: ggufShards(path).reduce((n, f) => n + statSync(f).size, 0),
      device: nm.info.device,
      tensorTypes: nm.info.tensorTypes,
      backend: nm.info.backend,
      dtype: nm.info.dtype,
      samplingDefaults: samplingDefaultsFromGguf(meta),
    }
    return new Model({ native: nm, info, tokenizer, template })
  } catch (e) {
    await nm.unload()
    throw e
  }
}

function readJson(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, 'utf8'))
  } catch (cause) {
    throw new ModelLoadError(dirname(path), {
      details: `cannot read ${basename(path)}`,
      cause,
    })
  }
}

async function loadSafetensors(
  dir: string,
  options: LoadModelOptions,
): Promise<Model> {
  const config = readJson(join(dir, 'config.json'))
  // Gemma 3 and Mistral 3 checkpoints carry a vision tower the engine does
  // not run yet: their text decoder loads on its own.
  const textOfVlm =
    config.model_type === 'gemma3' || config.model_type === 'mistral3'
  if (config.vision_config && !textOfVlm)
    return loadVisionLanguageModel(dir, options)
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.safetensors'))
    .sort()
    .map((f) => join(dir, f))
  if (files.length === 0)
    throw new ModelLoadError(dir, { details: 'no .safetensors files' })
  const decoder = textOfVlm
    ? vlmDecoderConfig(dir, config, readTensorNames(files))
    : decoderConfigFromHf(config)
  let templateSource: string | undefined
  if (existsSync(join(dir, 'tokenizer_config.json'))) {
    const tc = readJson(join(dir, 'tokenizer_config.json'))
    if (typeof tc.chat_template === 'string') templateSource = tc.chat_template
  }
  if (existsSync(join(dir, 'chat_template.jinja')))
    templateSource = readFileSync(join(dir, 'chat_template.jinja'), 'utf8')
  const generation = readGenerationConfig(dir)
  const tokenizer = TextTokenizer.fromDirectory(dir, [
    ...decoder.eosIds,
    ...generation.eosIds,
  ])
  const template = new ChatTemplate(templateSource)
  const nm = await loadSafetensorsDecoder(dir, files, decoder, options)
  const info: ModelInfo = {
    path: dir,
    format: 'safetensors',
    type: 'llm',
    architecture: decoder.architecture,
    contextLength: nm.info.contextLength,
    vocabSize: decoder.vocabSize,
    hiddenSize: decoder.hiddenSize,
    numLayers: decoder.numLayers,
    quantization: decoder.quantBits
      ? `${decoder.quantBits}bit`
      : String(config.torch_dtype ?? 'float32'),
    sizeBytes: files.reduce((a, f) => a + statSync(f).size, 0),
    backend: nm.info.backend,
    dtype: nm.info.dtype,
    samplingDefaults: generation.samplingDefaults,
  }
  return new Model({ native: nm, info, tokenizer, template })
}
