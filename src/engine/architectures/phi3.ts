// Phi-3/3.5/4 from config.json: fused qkv_proj and gate_up_proj (split by
// the engine at load), LongRoPE short/long factors with the original
// context, partial rotary (Phi-4-mini). Like llama.cpp and mlx-lm, the
// sliding_window some Phi-3 configs declare is not applied.
import type { NativeDecoderConfig } from '../native.ts'
import { baseDecoderConfig, type HfConfig, num } from './hfConfig.ts'

export function phi3Config(config: HfConfig): NativeDecoderConfig {
  const c = baseDecoderConfig(config, 'phi3')
  const partial = num(config.partial_rotary_factor, 1)
  if (partial !== 1) c.ropeDims = Math.round(c.headDim * partial)
  return c
}
