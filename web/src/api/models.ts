// Model lists from the LM Studio APIs: v0 (type, state, context) for the
// chat's picker, v1 (format, quantization, size, loaded instances) for the
// Models view.
import { apiJson } from './apiFetch.ts'

export type V0Model = {
  id: string
  type: 'llm' | 'vlm' | 'embeddings'
  state: 'loaded' | 'not-loaded'
  arch?: string
  quantization?: string
  compatibility_type?: string
  max_context_length?: number
  loaded_context_length?: number
  capabilities?: string[]
}

export type V1Instance = {
  id: string
  config: { context_length: number }
  status: string
  backend: string
  dtype: string
  device: string
  active_requests: number
  jit: boolean
  ttl_seconds: number | null
  ttl_remaining_seconds: number | null
}

export type V1Model = {
  type: 'llm' | 'embedding'
  key: string
  display_name: string
  architecture: string | null
  quantization: { name: string; bits_per_weight: number | null } | null
  size_bytes: number
  params_string: string | null
  loaded_instances: V1Instance[]
  max_context_length: number
  format: string | null
  capabilities: { vision: boolean; trained_for_tool_use: boolean }
  variants: string[]
}

export const listModelsV0 = async () =>
  (await apiJson<{ data: V0Model[] }>('/api/v0/models')).data

export const listModelsV1 = async () =>
  (await apiJson<{ models: V1Model[] }>('/api/v1/models')).models
