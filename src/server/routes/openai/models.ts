// GET /v1/models: with JIT on, every downloaded model (plus loaded instances
// under custom identifiers); with JIT off, only what is loaded.
import type { RequestHandler } from 'express'
import type { ServerContext } from '../../context.ts'

export function listModels(ctx: ServerContext): RequestHandler {
  return async (_req, res) => {
    const loaded = ctx.residency.list()
    const ids = new Map<string, string>()
    if (ctx.residency.jit) {
      for (const m of await ctx.catalogue.list()) ids.set(m.key, m.publisher)
    }
    for (const i of loaded) ids.set(i.identifier, i.local.publisher)
    res.json({
      object: 'list',
      data: [...ids].map(([id, publisher]) => ({
        id,
        object: 'model',
        created: 0,
        owned_by: publisher,
      })),
    })
  }
}
