// Hugging Face config.json -> the native decoder configuration, by
// model_type; one file per family under ./architectures/.
import { gemma2Config } from './architectures/gemma2.ts'
import { gemma3Config } from './architectures/gemma3.ts'
import { gptOssConfig } from './architectures/gptOss.ts'
import { graniteConfig } from './architectures/granite.ts'
import type { HfConfig } from './architectures/hfConfig.ts'
import { llamaConfig } from './architectures/llama.ts'
import { mixtralConfig } from './architectures/mixtral.ts'
import { olmo2Config } from './architectures/olmo2.ts'
import { phi3Config } from './architectures/phi3.ts'
import { qwen3MoeConfig } from './architectures/qwen3Moe.ts'
import { smollm3Config } from './architectures/smollm3.ts'
import { UnsupportedModelError } from './errors.ts'
import type { NativeDecoderConfig } from './native.ts'

const FAMILIES: Record<string, (config: HfConfig) => NativeDecoderConfig> = {
  llama: llamaConfig,
  mistral: llamaConfig,
  qwen2: llamaConfig,
  qwen3: llamaConfig,
  gemma2: gemma2Config,
  gemma3_text: gemma3Config,
  phi3: phi3Config,
  olmo2: olmo2Config,
  smollm3: smollm3Config,
  granite: graniteConfig,
  qwen3_moe: qwen3MoeConfig,
  mixtral: mixtralConfig,
  gpt_oss: gptOssConfig,
}

export function isDecoderConfig(config: HfConfig): boolean {
  return String(config.model_type) in FAMILIES
}

export function decoderConfigFromHf(config: HfConfig): NativeDecoderConfig {
  const arch = String(config.model_type)
  const family = Object.hasOwn(FAMILIES, arch) ? FAMILIES[arch] : undefined
  if (!family)
    throw new UnsupportedModelError(
      `Architecture "${arch}" is not supported (${Object.keys(FAMILIES).join(', ')} and bert are).`,
    )
  return family(config)
}
