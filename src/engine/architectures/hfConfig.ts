// Reading a Hugging Face config.json into the native decoder config: the
// fields every family shares (sizes, rope, special tokens, MLX quantization).
// Each family's file (llama.ts, gemma3.ts, ...) adds its features on top.
import type { NativeDecoderConfig } from '../native.ts'

export type HfConfig = Record<string, unknown>

export const num = (v: unknown, fallback: number): number =>
  typeof v === 'number' && Number.isFinite(v) ? v : fallback

const numbers = (v: unknown): number[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === 'number') ? v : undefined

/** rope_scaling (or rope_parameters) of a config, as the native struct. */
export function ropeScalingFromHf(
  config: HfConfig,
): NativeDecoderConfig['ropeScaling'] {
  const s = (config.rope_scaling ?? undefined) as HfConfig | undefined
  if (!s || typeof s !== 'object') return undefined
  let type = String(s.rope_type ?? s.type ?? '')
  if (type === 'su') type = 'longrope' // Phi-3's first name for it
  if (type === 'default') type = ''
  return {
    type,
    factor: num(s.factor, 1),
    lowFreqFactor: num(s.low_freq_factor, 1),
    highFreqFactor: num(s.high_freq_factor, 4),
    originalMaxPositionEmbeddings: num(
      s.original_max_position_embeddings ??
        config.original_max_position_embeddings,
      8192,
    ),
    betaFast: num(s.beta_fast, 32),
    betaSlow: num(s.beta_slow, 1),
    ...(s.truncate === false ? { truncate: false } : {}),
    mscale: num(s.mscale, 1),
    mscaleAllDim: num(s.mscale_all_dim, 0),
    attentionFactor: num(s.attention_factor, 0),
    ...(numbers(s.short_factor)
      ? { shortFactor: numbers(s.short_factor) }
      : {}),
    ...(numbers(s.long_factor) ? { longFactor: numbers(s.long_factor) } : {}),
  }
}

/**
 * Per-layer sliding windows: from `layer_types` when the config lists them
 * ("sliding_attention" / "full_attention"), else `isSliding(i)`.
 */
export function layerWindows(
  config: HfConfig,
  layers: number,
  window: number,
  isSliding: (layer: number) => boolean,
): number[] {
  const types = config.layer_types
  return Array.from({ length: layers }, (_, i) => {
    const sliding = Array.isArray(types)
      ? types[i] === 'sliding_attention'
      : isSliding(i)
    return sliding ? window : 0
  })
}

/** The fields every family reads the same way (Llama's defaults). */
export function baseDecoderConfig(
  config: HfConfig,
  architecture: string,
): NativeDecoderConfig {
  const hidden = num(config.hidden_size, 0)
  const heads = num(config.num_attention_heads, 0)
  const eos = config.eos_token_id
  const quant = config.quantization as
    | { group_size?: number; bits?: number }
    | undefined
  const scaling = ropeScalingFromHf(config)
  return {
    architecture,
    hiddenSize: hidden,
    numLayers: num(config.num_hidden_layers, 0),
    numHeads: heads,
    numKvHeads: num(config.num_key_value_heads, heads),
    headDim: num(config.head_dim, heads ? hidden / heads : 0),
    intermediateSize: num(config.intermediate_size, 0),
    vocabSize: num(config.vocab_size, 0),
    contextLength: num(config.max_position_embeddings, 2048),
    rmsEps: num(config.rms_norm_eps, 1e-6),
    ropeTheta: num(config.rope_theta, 10000),
    ropeTraditional: false,
    ...(scaling ? { ropeScaling: scaling } : {}),
    eosIds: Array.isArray(eos)
      ? eos.map(Number)
      : typeof eos === 'number'
        ? [eos]
        : [],
    bosId: num(config.bos_token_id, -1),
    quantBits: quant?.bits ?? 0,
    quantGroup: quant?.group_size ?? 0,
  }
}
