// POST /api/v1/models/load and /api/v1/models/unload.
import type { RequestHandler } from 'express'
import { z } from 'zod'
import type { ServerContext } from '../../context.ts'
import { parseBody } from '../../validate/parseBody.ts'

const loadSchema = z.strictObject({
  model: z.string().min(1),
  context_length: z.number().int().positive().optional(),
  identifier: z.string().min(1).optional(),
  ttl: z.number().int().positive().optional(),
  echo_load_config: z.boolean().optional(),
  parallel: z.number().int().min(1).max(64).optional(),
  // Our addition: activation dtype of the graph path (GPU).
  dtype: z.enum(['float32', 'float16', 'bfloat16']).optional(),
  // llama.cpp-only knobs LM Studio accepts; meaningless on MLX, so ignored.
  eval_batch_size: z.number().optional(),
  flash_attention: z.boolean().optional(),
  num_experts: z.number().optional(),
  offload_kv_cache_to_gpu: z.boolean().optional(),
})

export function loadModelRoute(ctx: ServerContext): RequestHandler {
  return async (req, res) => {
    const b = parseBody(loadSchema, req.body)
    const inst = await ctx.residency.load(b.model, {
      identifier: b.identifier,
      contextLength: b.context_length,
      ttlSeconds: b.ttl,
      parallel: b.parallel,
      dtype: b.dtype,
    })
    res.json({
      type: inst.local.type === 'embeddings' ? 'embedding' : 'llm',
      instance_id: inst.identifier,
      load_time_seconds: Math.round(inst.loadTimeMs) / 1000,
      status: 'loaded',
      ...(b.echo_load_config
        ? {
            load_config: {
              context_length: inst.contextLength,
              parallel: inst.parallel,
              backend: inst.model.info.backend,
              dtype: inst.model.info.dtype,
            },
          }
        : {}),
    })
  }
}

const unloadSchema = z.strictObject({ instance_id: z.string().min(1) })

export function unloadModelRoute(ctx: ServerContext): RequestHandler {
  return async (req, res) => {
    const b = parseBody(unloadSchema, req.body)
    const inst = await ctx.residency.unload(b.instance_id)
    res.json({ instance_id: inst.identifier })
  }
}
