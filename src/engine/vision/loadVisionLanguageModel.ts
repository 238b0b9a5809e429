// Loads a VLM folder in Hugging Face layout (SmolVLM / Idefics3, LLaVA):
// the language model through the native decoder with its nested weight
// names, the vision tower + connector through the native encoder, and the
// tokenizer and chat template from the folder. The result is a `Model` with
// `info.type === 'vlm'` whose chats may carry images.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { ChatTemplate } from '../chatTemplate.ts'
import { ModelLoadError, UnsupportedModelError } from '../errors.ts'
import { loadSafetensorsDecoder } from '../loadSafetensorsDecoder.ts'
import { Model } from '../model.ts'
import type { NativeModel } from '../native.ts'
import { readGenerationConfig } from '../samplingDefaults.ts'
import { toEngineError } from '../toEngineError.ts'
import { TextTokenizer } from '../tokenizer.ts'
import type { LoadModelOptions, ModelInfo } from '../types.ts'
import { loadVisionModel } from './loadVisionModel.ts'
import { readVisionConfig } from './readVisionConfig.ts'
import { type ImageLayout, VisionAdapter } from './VisionAdapter.ts'
import type { VisionModel } from './VisionModel.ts'
import { readTensorNames, vlmDecoderConfig } from './vlmDecoderConfig.ts'

type Json = Record<string, unknown>

// Used when a VLM ships no template: ChatML with `<image>` where images go.
const CHATML_WITH_IMAGES =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' }}{% for part in message['content'] %}{% if part['type'] == 'image' %}{{ '<image>' }}{% else %}{{ part['text'] }}{% endif %}{% endfor %}{{ '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"

export type LoadVisionLanguageModelParameters = LoadModelOptions

export async function loadVisionLanguageModel(
  dir: string,
  options: LoadModelOptions = {},
): Promise<Model> {
  const read = (f: string): Json | undefined => {
    if (!existsSync(join(dir, f))) return undefined
    try {
      return JSON.parse(readFileSync(join(dir, f), 'utf8'))
    } catch (cause) {
      throw new ModelLoadError(dir, { details: `cannot read ${f}`, cause })
    }
  }
  const config = read('config.json') ?? {}
  const visionConfig = readVisionConfig(dir)
  if (visionConfig.output !== 'features')
    throw new UnsupportedModelError(
      `"${visionConfig.modelType}" is an image/text embedding model, not a chat model; load it with loadVisionModel.`,
    )
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.safetensors'))
    .sort()
    .map((f) => join(dir, f))
  if (files.length === 0)
    throw new ModelLoadError(dir, { details: 'no .safetensors files' })
  const decoder = vlmDecoderConfig(dir, config, readTensorNames(files))
  const tokenizer = TextTokenizer.fromDirectory(dir, decoder.eosIds)
  const template = new ChatTemplate(
    templateSource(dir, read) ?? CHATML_WITH_IMAGES,
  )
  const layout = imageLayout(dir, visionConfig.native.family, config, tokenizer)

  let nm: NativeModel | undefined
  let vision: VisionModel | undefined
  try {
    nm = await loadSafetensorsDecoder(dir, files, decoder, options)
    vision = await loadVisionModel(dir)
    if (vision.dimensions !== decoder.hiddenSize)
      throw new ModelLoadError(dir, {
        details: `the vision connector gives ${vision.dimensions}-wide image tokens but the language model's hidden size is ${decoder.hiddenSize}`,
      })
  } catch (e) {
    await Promise.all([nm?.unload(), vision?.dispose()])
    throw e instanceof ModelLoadError ? e : toEngineError(e, dir)
  }
  const info: ModelInfo = {
    path: dir,
    format: 'safetensors',
    type: 'vlm',
    architecture: visionConfig.modelType,
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
    samplingDefaults: readGenerationConfig(dir).samplingDefaults,
  }
  return new Model({
    native: nm,
    info,
    tokenizer,
    template,
    vision: new VisionAdapter(vision, layout),
  })
}

/** chat_template.jinja, chat_template.json (processors), then tokenizer_config.json. */
function templateSource(
  dir: string,
  read: (f: string) => Json | undefined,
): string | undefined {
  if (existsSync(join(dir, 'chat_template.jinja')))
    return readFileSync(join(dir, 'chat_template.jinja'), 'utf8')
  for (const f of ['chat_template.json', 'tokenizer_config.json']) {
    const t = read(f)?.chat_template
    if (typeof t === 'string') return t
  }
  return undefined
}

function imageLayout(
  dir: string,
  family: string,
  config: Json,
  tokenizer: TextTokenizer,
): ImageLayout {
  const imageToken = '<image>'
  const configured = config.image_token_id ?? config.image_token_index
  const imageTokenId =
    tokenizer.tokenId(imageToken) ??
    (typeof configured === 'number' ? configured : undefined)
  if (imageTokenId === undefined)
    throw new ModelLoadError(dir, {
      details: `the tokenizer has no ${imageToken} token (${basename(dir)})`,
    })
  if (family !== 'idefics3')
    return { imageToken, imageTokenId, before: '', after: '' }
  // Only wrap with the tokens this vocabulary really has.
  const known = (t: string) => (tokenizer.tokenId(t) !== undefined ? t : '')
  const fake = known('<fake_token_around_image>')
  return {
    imageToken,
    imageTokenId,
    before: `${fake}${known('<global-img>')}`,
    after: fake,
  }
}
