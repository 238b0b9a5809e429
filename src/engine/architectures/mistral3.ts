// Ministral 3 (`ministral3`, also the text_config of a `mistral3`
// checkpoint): a Llama with YaRN (rope_parameters) and the Llama 4
// attention temperature (llama_4_scaling_beta over the original context).
import type { NativeDecoderConfig } from '../native.ts'
import { baseDecoderConfig, type HfConfig, num } from './hfConfig.ts'

export function ministral3Config(config: HfConfig): NativeDecoderConfig {
  const c = baseDecoderConfig(config, 'mistral3')
  const rope = (config.rope_parameters ?? config.rope_scaling ?? {}) as HfConfig
  const beta = num(rope.llama_4_scaling_beta, 0)
  if (beta !== 0) {
    c.attnTempScale = beta
    c.attnTempFloor = num(rope.original_max_position_embeddings, 0)
  }
  return c
}
