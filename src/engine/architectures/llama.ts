// Llama 1/2/3.x, SmolLM2, Mistral, Qwen2/2.5 and Qwen3 from config.json:
// pre-norm, SwiGLU, GQA; Qwen3 adds per-head q/k norms. Mistral's
// sliding_window applies to every layer; Qwen's only when
// use_sliding_window is set (from max_window_layers on).
import type { NativeDecoderConfig } from '../native.ts'
import {
  baseDecoderConfig,
  type HfConfig,
  layerWindows,
  num,
} from './hfConfig.ts'

export function llamaConfig(config: HfConfig): NativeDecoderConfig {
  const arch = String(config.model_type)
  const c = baseDecoderConfig(config, arch)
  c.qkNorm = arch === 'qwen3'
  const window = num(config.sliding_window, 0)
  if (window > 0 && arch === 'mistral')
    c.layerWindow = layerWindows(config, c.numLayers, window, () => true)
  if (window > 0 && config.use_sliding_window === true) {
    const from = num(config.max_window_layers, 0)
    c.layerWindow = layerWindows(config, c.numLayers, window, (i) => i >= from)
  }
  return c
}
