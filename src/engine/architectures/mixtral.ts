// Mixtral from config.json (`mixtral`): Mistral attention with a sparse MoE
// feed-forward (`block_sparse_moe`) in every layer: softmax over the top
// `num_experts_per_tok` of `num_local_experts` router logits.
import type { NativeDecoderConfig } from '../native.ts'
import {
  baseDecoderConfig,
  type HfConfig,
  layerWindows,
  num,
} from './hfConfig.ts'

export function mixtralConfig(config: HfConfig): NativeDecoderConfig {
  const c = baseDecoderConfig(config, 'mixtral')
  const window = num(config.sliding_window, 0)
  if (window > 0)
    c.layerWindow = layerWindows(config, c.numLayers, window, () => true)
  c.moe = {
    numExperts: num(config.num_local_experts, 0),
    expertsPerToken: num(config.num_experts_per_tok, 0),
    intermediateSize: num(config.intermediate_size, 0),
    gating: 'softmax_topk',
    normTopkProb: true,
  }
  return c
}
