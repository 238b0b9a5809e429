// Catalogue entries and loaded instances in the SDK's shapes (`LLMInfo`,
// `LLMInstanceInfo`, `EmbeddingModelInfo`, ...), and the instance references
// the SDK holds on to: each loaded instance gets a random reference, so a
// handle to an unloaded model fails instead of silently reloading it.
import { randomBytes } from 'node:crypto'
import { bitsPerWeight, paramsFromName } from '../../models/describeName.ts'
import type { InstanceSnapshot } from '../../models/residency/instance.ts'
import type { EngineModel, LocalModel } from '../../models/types.ts'
import { capabilitiesFor } from '../format/lmstudio.ts'

export type Domain = 'llm' | 'embedding'

export const domainOf = (m: LocalModel): Domain =>
  m.type === 'embeddings' ? 'embedding' : 'llm'

const references = new WeakMap<EngineModel, string>()

/** The SDK's `instanceReference` of a loaded instance (stable while loaded). */
export function referenceOf(model: EngineModel): string {
  let ref = references.get(model)
  if (!ref) {
    ref = randomBytes(12).toString('base64url')
    references.set(model, ref)
  }
  return ref
}

/** `ModelInfo` (LLMInfo / EmbeddingModelInfo) of a catalogue entry. */
export function modelInfo(m: LocalModel, loaded?: InstanceSnapshot) {
  const bits = bitsPerWeight(m.quantization)
  const params = paramsFromName(m.name)
  const base = {
    type: domainOf(m),
    modelKey: m.key,
    format: m.format,
    displayName: m.name,
    path: m.path,
    sizeBytes: m.sizeBytes,
    ...(params ? { paramsString: params } : {}),
    ...(m.architecture ? { architecture: m.architecture } : {}),
    ...(m.quantization && bits
      ? { quantization: { name: m.quantization, bits } }
      : {}),
    maxContextLength: m.maxContextLength ?? 0,
  }
  if (base.type === 'embedding') return base
  return {
    ...base,
    vision: m.type === 'vlm',
    trainedForToolUse: capabilitiesFor(m, loaded).toolUse,
  }
}

/** `ModelInstanceInfo` of a loaded instance. */
export function instanceInfo(i: InstanceSnapshot) {
  return {
    ...modelInfo(i.local, i),
    identifier: i.identifier,
    instanceReference: referenceOf(i.model),
    contextLength: i.contextLength,
  }
}
