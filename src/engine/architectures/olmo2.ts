// OLMo 2 from config.json: norms after attention and MLP only, q/k RMSNorm
// over the whole projection, SwiGLU.
import type { NativeDecoderConfig } from '../native.ts'
import { baseDecoderConfig, type HfConfig } from './hfConfig.ts'

export function olmo2Config(config: HfConfig): NativeDecoderConfig {
  const c = baseDecoderConfig(config, 'olmo2')
  c.normLayout = 'post'
  c.qkNorm = true
  c.qkNormFull = true
  return c
}
