// The `hive` field of a chat or text completion request: opt-in redundancy
// and synthesis, or pinning to one member. Validated like every other field
// (unknown keys are a 400 naming them).
import { z } from 'zod'

export const hiveOptionsSchema = z.strictObject({
  /** Run the same seeded request on k members; answer only with output that audits clean. */
  redundancy: z.number().int().min(1).max(8).optional(),
  /** Ask several members/models and aggregate: majority vote or mixture-of-agents. */
  synthesis: z.enum(['vote', 'moa']).optional(),
  /** Synthesis: the models to ask (default: the request's model on several members). */
  models: z.array(z.string().min(1)).min(1).max(8).optional(),
  /** Synthesis: how many answers to gather (default 3). */
  samples: z.number().int().min(2).max(8).optional(),
  /** Mixture-of-agents: the model that writes the final answer (default: the request's). */
  aggregator: z.string().min(1).optional(),
  /** Serve on this device id only. */
  device: z
    .string()
    .regex(/^[0-9a-f]{32}$/, 'a device id is 32 hex characters')
    .optional(),
})

export type HiveOptions = z.output<typeof hiveOptionsSchema>
