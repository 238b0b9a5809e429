// Qwen3-MoE from config.json (`qwen3_moe`): Qwen3 attention (per-head q/k
// norms) with a sparse MoE feed-forward in every layer: softmax router over
// `num_experts`, top `num_experts_per_tok`, renormalized when
// `norm_topk_prob` (transformers' default is false).
import { UnsupportedModelError } from '../errors.ts'
import type { NativeDecoderConfig } from '../native.ts'
import { baseDecoderConfig, type HfConfig, num } from './hfConfig.ts'

export function qwen3MoeConfig(config: HfConfig): NativeDecoderConfig {
  const dense = config.mlp_only_layers
  if (
    (Array.isArray(dense) && dense.length > 0) ||
    num(config.decoder_sparse_step, 1) !== 1
  )
    throw new UnsupportedModelError(
      'Qwen3-MoE checkpoints with dense layers (mlp_only_layers, decoder_sparse_step) are not supported.',
    )
  const c = baseDecoderConfig(config, 'qwen3_moe')
  c.qkNorm = true
  c.moe = {
    numExperts: num(config.num_experts, 0),
    expertsPerToken: num(config.num_experts_per_tok, 0),
    intermediateSize: num(config.moe_intermediate_size, 0),
    gating: 'softmax_topk',
    normTopkProb: config.norm_topk_prob === true,
  }
  return c
}
