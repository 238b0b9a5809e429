// gpt-oss from config.json (`gpt_oss`): attention with biases and a learned
// sink logit per head, sliding-window and full layers alternating
// (`layer_types`, window `sliding_window`), YaRN rope (`truncate: false`),
// and a sparse MoE of clamped-SwiGLU experts with biases: softmax over the
// top `num_experts_per_tok` router logits.
import type { NativeDecoderConfig } from '../native.ts'
import {
  baseDecoderConfig,
  type HfConfig,
  layerWindows,
  num,
} from './hfConfig.ts'

export function gptOssConfig(config: HfConfig): NativeDecoderConfig {
  const c = baseDecoderConfig(config, 'gpt_oss')
  c.attnSinks = true
  c.layerWindow = layerWindows(
    config,
    c.numLayers,
    num(config.sliding_window, 128),
    (i) => i % 2 === 0,
  )
  c.moe = {
    numExperts: num(config.num_local_experts, 0),
    expertsPerToken: num(
      config.num_experts_per_tok ?? config.experts_per_token,
      0,
    ),
    intermediateSize: num(config.intermediate_size, 0),
    gating: 'topk_softmax',
    activation: 'swiglu_oai',
    swigluLimit: num(config.swiglu_limit, 7),
  }
  return c
}
