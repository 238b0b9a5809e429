// LM Studio's layered "KV config": a stack of `{ fields: [{ key, value }] }`
// layers where later layers win. The SDK sends load and prediction settings
// this way (`llm.load.contextLength`, `llm.prediction.temperature`, ...);
// checkbox numbers are `{ checked, value }`.
import { z } from 'zod'

export const kvConfigSchema = z.object({
  fields: z.array(z.object({ key: z.string(), value: z.unknown() })),
})
export const kvStackSchema = z.object({
  layers: z.array(z.object({ layerName: z.string(), config: kvConfigSchema })),
})

export type KVConfig = z.output<typeof kvConfigSchema>
export type KVStack = z.output<typeof kvStackSchema>

/** The stack collapsed to one key -> value map. */
export function collapse(stack: KVStack): Map<string, unknown> {
  const map = new Map<string, unknown>()
  for (const layer of stack.layers)
    for (const { key, value } of layer.config.fields) map.set(key, value)
  return map
}

export const toKVConfig = (map: Map<string, unknown>): KVConfig => ({
  fields: [...map].map(([key, value]) => ({ key, value })),
})

/** A number field, or undefined. */
export function numberField(
  map: Map<string, unknown>,
  key: string,
): number | undefined {
  const v = map.get(key)
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined
}

/**
 * A checkbox number: its value when checked, `off` when unchecked, undefined
 * when absent.
 */
export function checkboxField<T>(
  map: Map<string, unknown>,
  key: string,
  off: T,
): number | T | undefined {
  const v = map.get(key) as { checked?: unknown; value?: unknown } | undefined
  if (!v || typeof v !== 'object') return undefined
  if (v.checked === false) return off
  return typeof v.value === 'number' ? v.value : undefined
}
