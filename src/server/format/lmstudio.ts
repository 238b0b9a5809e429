// LM Studio's extra objects: v0 `stats` / `model_info` / `runtime`, v1
// `stats`, its stop-reason names, and the catalogue entry shapes of
// /api/v0/models and /api/v1/models.
import type {
  GenerationStats,
  SamplingDefaults,
  StopReason,
} from '../../engine/types.ts'
import {
  capabilitiesOf,
  type ModelCapabilities,
} from '../../models/capabilities.ts'
import { bitsPerWeight, paramsFromName } from '../../models/describeName.ts'
import type { InstanceSnapshot } from '../../models/residency/instance.ts'
import type { LocalModel } from '../../models/types.ts'

export const RUNTIME = {
  name: 'pocketcloudmlx-mlx',
  version: '0.1.0',
  supported_formats: ['gguf', 'safetensors'],
}

/**
 * LM Studio's `runtime` object for a response: the name says which kernels
 * ran (`pocketcloudmlx-mlx-cuda`, like LM Studio's `llama.cpp-...-metal`);
 * `backend` and `dtype` are our additions.
 */
export function runtimeOf(info: { backend: string; dtype: string }) {
  return {
    ...RUNTIME,
    name: `${RUNTIME.name}-${info.backend}`,
    backend: info.backend,
    dtype: info.dtype,
  }
}

const STOP_REASONS: Record<StopReason, string> = {
  eos: 'eosFound',
  stopString: 'stopStringFound',
  maxTokens: 'maxPredictedTokensReached',
  contextFull: 'contextLengthReached',
  cancelled: 'userStopped',
}

export function v0Stats(stats: GenerationStats) {
  return {
    tokens_per_second: round(stats.tokensPerSecond),
    time_to_first_token: round(stats.timeToFirstTokenMs / 1000),
    generation_time: round(stats.totalTimeMs / 1000),
    stop_reason: STOP_REASONS[stats.stopReason],
    cached_tokens: stats.cachedTokens,
    ...speculativeStats(stats),
  }
}

/** LM Studio's speculative-decoding counters, present when a draft was used. */
function speculativeStats(stats: GenerationStats) {
  const s = stats.speculative
  if (!s) return {}
  return {
    draft_model: s.draftModel,
    total_draft_tokens_count: s.totalDraftTokens,
    accepted_draft_tokens_count: s.acceptedDraftTokens,
    rejected_draft_tokens_count: s.rejectedDraftTokens,
    ignored_draft_tokens_count: s.ignoredDraftTokens,
  }
}

export function v0ModelInfo(local: LocalModel, contextLength: number) {
  return {
    arch: local.architecture,
    quant: local.quantization,
    format: local.format,
    context_length: contextLength,
  }
}

export function v1Stats(
  stats: GenerationStats,
  loadTimeMs: number | null,
  reasoningTokens = 0,
) {
  return {
    input_tokens: stats.promptTokens,
    total_output_tokens: stats.completionTokens,
    reasoning_output_tokens: reasoningTokens,
    tokens_per_second: round(stats.tokensPerSecond),
    time_to_first_token_seconds: round(stats.timeToFirstTokenMs / 1000),
    cached_tokens: stats.cachedTokens,
    ...speculativeStats(stats),
    ...(loadTimeMs != null
      ? { model_load_time_seconds: round(loadTimeMs / 1000) }
      : {}),
  }
}

const round = (n: number) => Math.round(n * 1000) / 1000

/**
 * A loaded model's own sampling defaults under the request field names
 * (our addition to the catalogue entries): what a request that leaves them
 * out gets.
 */
export function samplingDefaultsJson(d: SamplingDefaults | undefined) {
  const out: Record<string, number> = {}
  if (d?.temperature !== undefined) out.temperature = d.temperature
  if (d?.topK !== undefined) out.top_k = d.topK
  if (d?.topP !== undefined) out.top_p = d.topP
  if (d?.minP !== undefined) out.min_p = d.minP
  if (d?.repetitionPenalty !== undefined)
    out.repeat_penalty = d.repetitionPenalty
  if (d?.repetitionContextSize !== undefined)
    out.repeat_last_n = d.repetitionContextSize
  return out
}

/** LM Studio calls safetensors-for-MLX "mlx". */
const compat = (m: LocalModel) => (m.format === 'gguf' ? 'gguf' : 'mlx')

export function v0ModelEntry(
  m: LocalModel,
  loaded: InstanceSnapshot | undefined,
  id = m.key,
) {
  return {
    id,
    object: 'model',
    type: m.type,
    publisher: m.publisher,
    arch: m.architecture,
    compatibility_type: compat(m),
    quantization: m.quantization,
    state: loaded ? 'loaded' : 'not-loaded',
    max_context_length: m.maxContextLength,
    ...(loaded
      ? {
          loaded_context_length: loaded.contextLength,
          sampling_defaults: samplingDefaultsJson(
            loaded.model.info.samplingDefaults,
          ),
        }
      : {}),
    capabilities: v0Capabilities(capabilitiesFor(m, loaded)),
  }
}

/** A model's capabilities: its loaded template's when loaded, else the file's. */
export function capabilitiesFor(
  m: LocalModel,
  loaded: InstanceSnapshot | undefined,
): ModelCapabilities {
  const template = loaded?.model.template?.source
  if (template !== undefined) return capabilitiesOf(template, m.type)
  return m.capabilities ?? capabilitiesOf(null, m.type)
}

function v0Capabilities(c: ModelCapabilities): string[] {
  return [
    ...(c.toolUse ? ['tool_use'] : []),
    ...(c.vision ? ['vision'] : []),
    ...(c.reasoning ? ['reasoning'] : []),
  ]
}

export function v1ModelEntry(
  variants: LocalModel[],
  instances: InstanceSnapshot[],
) {
  const m = variants[0] as LocalModel
  return {
    type: m.type === 'embeddings' ? 'embedding' : 'llm',
    publisher: m.publisher,
    key: m.key,
    display_name: m.name,
    architecture: m.architecture,
    quantization: m.quantization
      ? { name: m.quantization, bits_per_weight: bitsPerWeight(m.quantization) }
      : null,
    size_bytes: m.sizeBytes,
    params_string: paramsFromName(m.name),
    loaded_instances: instances.map((i) => ({
      id: i.identifier,
      config: { context_length: i.contextLength, parallel: i.parallel },
      // Our additions (used by `pocket ps`): residency state, and the
      // kernels and activation dtype that run the instance.
      status: i.status,
      backend: i.model.info.backend,
      dtype: i.model.info.dtype,
      active_requests: i.activeRequests,
      jit: i.jit,
      ttl_seconds: i.ttlSeconds,
      ttl_remaining_seconds: i.ttlRemainingSeconds,
      variant: i.local.variant,
      path: i.local.path,
      sampling_defaults: samplingDefaultsJson(i.model.info.samplingDefaults),
      device: i.model.info.device ?? 'cpu',
      // GGUF: how each tensor type of the file was loaded (exact or converted).
      ...(i.model.info.tensorTypes
        ? { tensor_types: i.model.info.tensorTypes }
        : {}),
    })),
    max_context_length: m.maxContextLength,
    format: compat(m),
    capabilities: v1Capabilities(capabilitiesFor(m, instances[0])),
    description: null,
    variants: variants.map((v) =>
      v.variant ? `${v.key}@${v.variant}` : v.key,
    ),
    selected_variant: m.variant ? `${m.key}@${m.variant}` : m.key,
  }
}

function v1Capabilities(c: ModelCapabilities) {
  return {
    vision: c.vision,
    trained_for_tool_use: c.toolUse,
    ...(c.reasoning
      ? {
          reasoning: {
            allowed_options: c.reasoning.allowedOptions,
            default: c.reasoning.default,
          },
        }
      : {}),
  }
}
