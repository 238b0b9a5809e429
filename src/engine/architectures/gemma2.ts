// Gemma 2 from config.json: sandwich norms scaled by (1 + w), GeGLU,
// embeddings scaled by sqrt(hidden), attention and final logit soft-capping,
// a sliding window on every other layer starting with the first, tied
// embeddings; attention scaled by query_pre_attn_scalar^-1/2.
import type { NativeDecoderConfig } from '../native.ts'
import {
  baseDecoderConfig,
  type HfConfig,
  layerWindows,
  num,
} from './hfConfig.ts'

export function gemma2Config(config: HfConfig): NativeDecoderConfig {
  const c = baseDecoderConfig(config, 'gemma2')
  c.normLayout = 'sandwich'
  c.normPlusOne = true
  c.activation = 'gelu_tanh'
  c.embedScale = Math.sqrt(c.hiddenSize)
  c.attnScale = 1 / Math.sqrt(num(config.query_pre_attn_scalar, c.headDim))
  c.attnSoftcap = num(config.attn_logit_softcapping, 0)
  c.finalSoftcap = num(config.final_logit_softcapping, 0)
  c.layerWindow = layerWindows(
    config,
    c.numLayers,
    num(config.sliding_window, 4096),
    (i) => i % 2 === 0,
  )
  return c
}
