// POST /v1/embeddings (and /api/v0/embeddings). The model type is checked
// from the catalogue before anything loads, so asking a chat model for
// embeddings is a clear 400. `dimensions` truncates and renormalizes;
// `encoding_format: base64` sends little-endian float32 bytes; usage counts
// the real tokens (specials included, after truncation).
import type { RequestHandler } from 'express'
import { z } from 'zod'
import { WrongModelTypeError } from '../../../models/errors.ts'
import type { ServerContext } from '../../context.ts'
import { InvalidRequestError, NotImplementedError } from '../../errors.ts'
import { parseBody } from '../../validate/parseBody.ts'

const schema = z.strictObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()).min(1)]),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().positive().optional(),
  ttl: z.number().int().positive().optional(),
  user: z.string().optional(),
})

export function embeddings(ctx: ServerContext): RequestHandler {
  return async (req, res) => {
    const b = parseBody(schema, req.body)
    const loaded = ctx.residency.find(b.model)
    const local = loaded?.local ?? (await ctx.catalogue.resolve(b.model))
    if (local.type !== 'embeddings') {
      throw new WrongModelTypeError(
        b.model,
        `Model "${b.model}" is a ${local.type === 'vlm' ? 'vision' : 'text generation'} model, not an embedding model. Use an embedding model (for example sentence-transformers/all-MiniLM-L6-v2).`,
      )
    }
    const lease = await ctx.residency.acquire(b.model, { ttlSeconds: b.ttl })
    try {
      const model = lease.model
      if (!model.embed)
        throw new NotImplementedError(
          'Embeddings are not available in this engine build.',
        )
      const width = model.info.hiddenSize
      if (b.dimensions && b.dimensions > width) {
        throw new InvalidRequestError(
          `'dimensions' (${b.dimensions}) exceeds the model's ${width}.`,
          'dimensions',
          'invalid_value',
        )
      }
      const inputs = typeof b.input === 'string' ? [b.input] : b.input
      const { vectors, usage } = await model.embed(inputs, {
        dimensions: b.dimensions,
      })
      res.json({
        object: 'list',
        data: vectors.map((v, index) => ({
          object: 'embedding',
          index,
          embedding:
            b.encoding_format === 'base64'
              ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString(
                  'base64',
                )
              : Array.from(v),
        })),
        model: lease.identifier,
        usage: {
          prompt_tokens: usage.promptTokens,
          total_tokens: usage.totalTokens,
        },
      })
    } finally {
      lease.release()
    }
  }
}
