// Reads a CLIP / SigLIP / SmolVLM (Idefics3) / LLaVA folder's config.json
// and preprocessor_config.json into the native tower config and the image
// preprocessing (size, mean, std, crop).
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type {
  NativeTowerConfig,
  NativeVisionConfig,
} from '../embeddings/nativeEncoder.ts'
import { ModelLoadError, UnsupportedModelError } from '../errors.ts'
import type { ImageProcessing } from './preprocessImage.ts'

export type VisionModelConfig = {
  modelType: string
  native: NativeVisionConfig
  processing: ImageProcessing
  /** Output: 'embedding' for CLIP/SigLIP, 'features' (decoder tokens) for VLMs. */
  output: 'embedding' | 'features'
}

type Json = Record<string, unknown>
const FAMILIES: Record<string, NativeVisionConfig['family']> = {
  clip: 'clip',
  siglip: 'siglip',
  idefics3: 'idefics3',
  smolvlm: 'idefics3',
  llava: 'llava',
}
const CLIP_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073]
const CLIP_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711]

function tower(
  c: Json | undefined,
  dir: string,
  what: string,
  defaults: Partial<NativeTowerConfig>,
): NativeTowerConfig {
  if (!c)
    throw new ModelLoadError(dir, { details: `config.json has no ${what}` })
  const n = (k: string, d?: number) =>
    typeof c[k] === 'number' ? (c[k] as number) : d
  return {
    hiddenSize: n('hidden_size', defaults.hiddenSize) ?? 0,
    numLayers: n('num_hidden_layers', defaults.numLayers) ?? 0,
    numHeads: n('num_attention_heads', defaults.numHeads) ?? 0,
    intermediateSize: n('intermediate_size', defaults.intermediateSize) ?? 0,
    layerNormEps: n('layer_norm_eps', defaults.layerNormEps),
    hiddenAct:
      typeof c.hidden_act === 'string' ? c.hidden_act : defaults.hiddenAct,
    patchSize: n('patch_size', defaults.patchSize),
    imageSize: n('image_size', defaults.imageSize),
    vocabSize: n('vocab_size'),
    maxPositions: n('max_position_embeddings'),
    eosTokenId: n('eos_token_id'),
  }
}

export function readVisionConfig(dir: string): VisionModelConfig {
  const read = (f: string): Json | undefined =>
    existsSync(join(dir, f))
      ? JSON.parse(readFileSync(join(dir, f), 'utf8'))
      : undefined
  const config = read('config.json')
  if (!config) throw new ModelLoadError(dir, { details: 'missing config.json' })
  const modelType = String(config.model_type ?? '')
  const family = FAMILIES[modelType]
  if (!family)
    throw new UnsupportedModelError(
      `Vision model type "${modelType}" is not supported (clip, siglip, idefics3/smolvlm, llava are).`,
    )
  const clipLike = family === 'clip' || family === 'llava'
  const defaults: Partial<NativeTowerConfig> = clipLike
    ? {
        hiddenAct: 'quick_gelu',
        layerNormEps: 1e-5,
        imageSize: 224,
        patchSize: 32,
      }
    : {
        hiddenAct: 'gelu_pytorch_tanh',
        layerNormEps: 1e-6,
        imageSize: 224,
        patchSize: 16,
      }
  const vision = tower(
    config.vision_config as Json,
    dir,
    'vision_config',
    defaults,
  )
  const native: NativeVisionConfig = { family, vision }
  if (family === 'clip' || family === 'siglip') {
    native.text = tower(config.text_config as Json, dir, 'text_config', {
      hiddenAct: defaults.hiddenAct,
      layerNormEps: defaults.layerNormEps,
    })
    if (typeof config.projection_dim === 'number')
      native.projectionDim = config.projection_dim
  }
  if (family === 'idefics3')
    native.scaleFactor =
      typeof config.scale_factor === 'number' ? config.scale_factor : 2
  if (family === 'llava') {
    const layer = config.vision_feature_layer
    native.featureLayer = typeof layer === 'number' ? layer : -2
    native.dropCls =
      (config.vision_feature_select_strategy ?? 'default') === 'default'
  }
  const pre = read('preprocessor_config.json') ?? {}
  const triple = (v: unknown, d: [number, number, number]) =>
    Array.isArray(v) && v.length === 3 ? (v as [number, number, number]) : d
  const clipNorm = family === 'clip' || family === 'llava'
  return {
    modelType,
    native,
    output: family === 'clip' || family === 'siglip' ? 'embedding' : 'features',
    processing: {
      // The tower's fixed input size; SmolVLM's tiling into sub-images is not done (one global view).
      size: vision.imageSize ?? 224,
      mean: triple(pre.image_mean, clipNorm ? CLIP_MEAN : [0.5, 0.5, 0.5]),
      std: triple(pre.image_std, clipNorm ? CLIP_STD : [0.5, 0.5, 0.5]),
      centerCrop:
        typeof pre.do_center_crop === 'boolean' ? pre.do_center_crop : clipNorm,
    },
  }
}
