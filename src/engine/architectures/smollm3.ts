// SmolLM3 from config.json: a Llama whose layers listed 0 in no_rope_layers
// (by default every no_rope_layer_interval-th, i.e. every 4th) use no
// positional encoding.
import type { NativeDecoderConfig } from '../native.ts'
import { baseDecoderConfig, type HfConfig, num } from './hfConfig.ts'

export function smollm3Config(config: HfConfig): NativeDecoderConfig {
  const c = baseDecoderConfig(config, 'smollm3')
  const interval = num(config.no_rope_layer_interval, 4)
  const listed = config.no_rope_layers
  c.layerRope = Array.from({ length: c.numLayers }, (_, i) =>
    Array.isArray(listed)
      ? Number(listed[i] ?? 1)
      : (i + 1) % interval !== 0
        ? 1
        : 0,
  )
  return c
}
