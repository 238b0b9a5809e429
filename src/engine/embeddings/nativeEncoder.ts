// TypeScript declaration of the addon's encoder surface (native/src/
// encoder_wrap.cpp): BERT sentence embeddings, CLIP/SigLIP towers and VLM
// vision encoders. Kept apart from native.ts so decoders do not depend on it.
import { EngineError } from '../errors.ts'
import { native } from '../native.ts'

export type NativeBertConfig = {
  hiddenSize: number
  numLayers: number
  numHeads: number
  intermediateSize: number
  layerNormEps?: number
  hiddenAct?: string
}

export type NativeTowerConfig = {
  hiddenSize: number
  numLayers: number
  numHeads: number
  intermediateSize: number
  layerNormEps?: number
  hiddenAct?: string
  patchSize?: number
  imageSize?: number
  vocabSize?: number
  maxPositions?: number
  eosTokenId?: number
}

export type NativeVisionConfig = {
  family: 'clip' | 'siglip' | 'idefics3' | 'llava'
  vision: NativeTowerConfig
  text?: NativeTowerConfig
  projectionDim?: number
  scaleFactor?: number
  featureLayer?: number
  dropCls?: boolean
}

export type NativeTensor = { data: Float32Array; shape: number[] }

export type NativeTokenBatch = {
  inputIds: Int32Array
  attentionMask?: Int32Array
  batch: number
  seqLen: number
}

export interface NativeEncoder {
  readonly info: { nbytes: number; hiddenSize: number; maxPositions: number }
  embed(
    req: NativeTokenBatch & { pooling: Pooling; normalize: boolean },
  ): Promise<NativeTensor>
  embedText(
    req: NativeTokenBatch & { normalize?: boolean },
  ): Promise<NativeTensor>
  embedImage(req: {
    pixels: Float32Array
    batch: number
    height: number
    width: number
    output?: 'embedding' | 'features'
    normalize?: boolean
  }): Promise<NativeTensor>
  unload(): Promise<void>
}

export type Pooling = 'mean' | 'cls' | 'max' | 'mean_sqrt_len'

export type NativeLoadEncoderOptions =
  | { kind: 'bert'; path: string; files: string[]; config: NativeBertConfig }
  | {
      kind: 'clip' | 'siglip' | 'vlm_vision'
      path: string
      files: string[]
      config: NativeVisionConfig
    }

type EncoderBinding = {
  loadEncoder?: (o: NativeLoadEncoderOptions) => Promise<NativeEncoder>
}

/** The addon's loadEncoder, or a clear error when the build lacks it. */
export function loadNativeEncoder(
  options: NativeLoadEncoderOptions,
): Promise<NativeEncoder> {
  const binding = native() as unknown as EncoderBinding
  if (!binding.loadEncoder)
    throw new EngineError('This engine build has no encoder support.', {
      details:
        'native/src/addon.cpp must call InitEncoders(env, exports); rebuild with `npm run build:native`.',
    })
  return binding.loadEncoder(options)
}
