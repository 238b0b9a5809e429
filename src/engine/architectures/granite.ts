// Granite 3.x from config.json: a Llama with muP multipliers (embeddings,
// attention scale, residual branches, logits divided by logits_scaling).
import type { NativeDecoderConfig } from '../native.ts'
import { baseDecoderConfig, type HfConfig, num } from './hfConfig.ts'

export function graniteConfig(config: HfConfig): NativeDecoderConfig {
  const c = baseDecoderConfig(config, 'granite')
  c.embedScale = num(config.embedding_multiplier, 1)
  c.attnScale = num(config.attention_multiplier, 0)
  c.residualScale = num(config.residual_multiplier, 1)
  c.logitScale = 1 / num(config.logits_scaling, 1)
  return c
}
