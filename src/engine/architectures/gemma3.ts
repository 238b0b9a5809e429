// Gemma 3 text decoder from config.json (`gemma3_text`, or the `text_config`
// of a multimodal `gemma3` checkpoint): sandwich norms scaled by (1 + w),
// per-head q/k norms, GeGLU, embeddings scaled by sqrt(hidden), sliding
// layers with their own rope base, global layers with rope_scaling, tied
// embeddings. Defaults are transformers' Gemma3TextConfig (multimodal
// configs omit most fields).
import type { NativeDecoderConfig } from '../native.ts'
import {
  baseDecoderConfig,
  type HfConfig,
  layerWindows,
  num,
} from './hfConfig.ts'

const DEFAULTS: HfConfig = {
  vocab_size: 262208,
  hidden_size: 2304,
  intermediate_size: 9216,
  num_hidden_layers: 26,
  num_attention_heads: 8,
  num_key_value_heads: 4,
  head_dim: 256,
  max_position_embeddings: 131072,
  rms_norm_eps: 1e-6,
  rope_theta: 1_000_000,
  rope_local_base_freq: 10_000,
  query_pre_attn_scalar: 256,
  sliding_window: 4096,
  sliding_window_pattern: 6,
}

export function gemma3Config(config: HfConfig): NativeDecoderConfig {
  const full = { ...DEFAULTS, ...config }
  const c = baseDecoderConfig(full, 'gemma3')
  c.normLayout = 'sandwich'
  c.normPlusOne = true
  c.qkNorm = true
  c.activation = 'gelu_tanh'
  c.embedScale = Math.sqrt(c.hiddenSize)
  c.attnScale = 1 / Math.sqrt(num(full.query_pre_attn_scalar, c.headDim))
  c.attnSoftcap = num(full.attn_logit_softcapping, 0)
  c.finalSoftcap = num(full.final_logit_softcapping, 0)
  const pattern = num(full.sliding_window_pattern, 6)
  c.layerWindow = layerWindows(
    full,
    c.numLayers,
    num(full.sliding_window, 4096),
    (i) => (i + 1) % pattern !== 0,
  )
  c.ropeLocalTheta = num(full.rope_local_base_freq, 10_000)
  return c
}
