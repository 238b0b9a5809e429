// POST /v1/embeddings. The model type is checked from the catalogue before
// anything loads, so asking a chat model for embeddings is a clear 400.
// Embedding models run once the engine exposes `embed`; until then a 501.
import type { RequestHandler } from 'express'
import { z } from 'zod'
import { WrongModelTypeError } from '../../../models/errors.ts'
import type { ServerContext } from '../../context.ts'
import { InvalidRequestError, NotImplementedError } from '../../errors.ts'
import { parseBody } from '../../validate/parseBody.ts'

const schema = z.object({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()).min(1)]),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().positive().optional(),
  ttl: z.number().int().positive().optional(),
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
      if (!lease.model.embed)
        throw new NotImplementedError(
          'Embeddings are not available in this engine build yet.',
        )
      const inputs = typeof b.input === 'string' ? [b.input] : b.input
      const vectors = await lease.model.embed(inputs)
      if (b.dimensions && b.dimensions > (vectors[0]?.length ?? 0)) {
        throw new InvalidRequestError(
          `'dimensions' exceeds the model's ${vectors[0]?.length}.`,
          'dimensions',
        )
      }
      const tokens = inputs.reduce(
        (n, s) => n + lease.model.tokenize(s).length,
        0,
      )
      res.json({
        object: 'list',
        data: vectors.map((v, index) => ({
          object: 'embedding',
          index,
          embedding: encode(shorten(v, b.dimensions), b.encoding_format),
        })),
        model: lease.identifier,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      })
    } finally {
      lease.release()
    }
  }
}

/** Matryoshka-style truncation, re-normalised to unit length. */
function shorten(v: number[], dims?: number): number[] {
  if (!dims || dims >= v.length) return v
  const cut = v.slice(0, dims)
  const norm = Math.hypot(...cut) || 1
  return cut.map((x) => x / norm)
}

const encode = (v: number[], format?: 'float' | 'base64') =>
  format === 'base64'
    ? Buffer.from(new Float32Array(v).buffer).toString('base64')
    : v
