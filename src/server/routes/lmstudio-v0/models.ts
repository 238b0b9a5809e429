// GET /api/v0/models and /api/v0/models/{model}: LM Studio's v0 catalogue
// with type, arch, compatibility_type, quantization, state and context sizes.
import type { RequestHandler } from 'express'
import { ModelNotFoundError } from '../../../models/errors.ts'
import type { ServerContext } from '../../context.ts'
import { v0ModelEntry } from '../../format/lmstudio.ts'

async function entries(ctx: ServerContext) {
  const loaded = ctx.residency.list()
  const out = loaded.map((i) => v0ModelEntry(i.local, i, i.identifier))
  const seen = new Set(loaded.map((i) => i.local.key))
  for (const m of await ctx.catalogue.list()) {
    if (seen.has(m.key)) continue
    seen.add(m.key)
    out.push(v0ModelEntry(m, undefined))
  }
  return out
}

export function listModelsV0(ctx: ServerContext): RequestHandler {
  return async (_req, res) => {
    res.json({ object: 'list', data: await entries(ctx) })
  }
}

export function getModelV0(ctx: ServerContext): RequestHandler {
  return async (req, res) => {
    const raw = (req.params as { id: string | string[] }).id
    const id = Array.isArray(raw) ? raw.join('/') : raw
    const loaded = ctx.residency.find(id)
    if (loaded) {
      res.json(v0ModelEntry(loaded.local, loaded, loaded.identifier))
      return
    }
    const local = await ctx.catalogue.resolve(id).catch(() => {
      throw new ModelNotFoundError(id)
    })
    res.json(v0ModelEntry(local, undefined))
  }
}
