// Hugging Face config.json -> the native decoder configuration.
import { UnsupportedModelError } from './errors.ts'
import type { NativeDecoderConfig, NativeMoeConfig } from './native.ts'

const DECODERS = new Set([
  'llama',
  'mistral',
  'qwen2',
  'qwen3',
  'qwen3_moe',
  'mixtral',
])

type HfConfig = Record<string, unknown>

const n = (v: unknown, fallback: number): number =>
  typeof v === 'number' ? v : fallback

export function isDecoderConfig(config: HfConfig): boolean {
  return DECODERS.has(String(config.model_type))
}

export function decoderConfigFromHf(config: HfConfig): NativeDecoderConfig {
  const arch = String(config.model_type)
  if (!DECODERS.has(arch))
    throw new UnsupportedModelError(
      `Architecture "${arch}" is not supported (${[...DECODERS].join(', ')} and bert are).`,
    )
  const hidden = n(config.hidden_size, 0)
  const heads = n(config.num_attention_heads, 0)
  const eos = config.eos_token_id
  const scaling = config.rope_scaling as
    | Record<string, unknown>
    | null
    | undefined
  const quant = config.quantization as
    | { group_size?: number; bits?: number }
    | undefined
  return {
    architecture: arch,
    hiddenSize: hidden,
    numLayers: n(config.num_hidden_layers, 0),
    numHeads: heads,
    numKvHeads: n(config.num_key_value_heads, heads),
    headDim: n(config.head_dim, heads ? hidden / heads : 0),
    intermediateSize: n(config.intermediate_size, 0),
    vocabSize: n(config.vocab_size, 0),
    contextLength: n(config.max_position_embeddings, 2048),
    rmsEps: n(config.rms_norm_eps, 1e-6),
    ropeTheta: n(config.rope_theta, 10000),
    ropeTraditional: false,
    ...(scaling
      ? {
          ropeScaling: {
            type: String(scaling.rope_type ?? scaling.type ?? ''),
            factor: n(scaling.factor, 1),
            lowFreqFactor: n(scaling.low_freq_factor, 1),
            highFreqFactor: n(scaling.high_freq_factor, 4),
            originalMaxPositionEmbeddings: n(
              scaling.original_max_position_embeddings,
              8192,
            ),
          },
        }
      : {}),
    qkNorm: arch === 'qwen3' || arch === 'qwen3_moe',
    eosIds: Array.isArray(eos)
      ? eos.map(Number)
      : typeof eos === 'number'
        ? [eos]
        : [],
    bosId: n(config.bos_token_id, -1),
    quantBits: quant?.bits ?? 0,
    quantGroup: quant?.group_size ?? 0,
    ...(moeConfig(arch, config) ?? {}),
  }
}

/** The sparse-MoE block of Qwen3-MoE and Mixtral configs. */
function moeConfig(
  arch: string,
  config: HfConfig,
): { moe: NativeMoeConfig } | undefined {
  if (arch === 'mixtral')
    return {
      moe: {
        numExperts: n(config.num_local_experts, 0),
        expertsPerToken: n(config.num_experts_per_tok, 0),
        intermediateSize: n(config.intermediate_size, 0),
        gating: 'softmax_topk',
        normTopkProb: true,
      },
    }
  if (arch !== 'qwen3_moe') return undefined
  const dense = config.mlp_only_layers
  if (
    (Array.isArray(dense) && dense.length > 0) ||
    n(config.decoder_sparse_step, 1) !== 1
  )
    throw new UnsupportedModelError(
      'Qwen3-MoE checkpoints with dense layers (mlp_only_layers, decoder_sparse_step) are not supported.',
    )
  return {
    moe: {
      numExperts: n(config.num_experts, 0),
      expertsPerToken: n(config.num_experts_per_tok, 0),
      intermediateSize: n(config.moe_intermediate_size, 0),
      gating: 'softmax_topk',
      // transformers' Qwen3MoeConfig defaults it to false
      normTopkProb: config.norm_topk_prob === true,
    },
  }
}
