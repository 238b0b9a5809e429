// GET /api/v1/models: one entry per model key with its variants and loaded
// instances (LM Studio's v1 shape, plus residency details for `pocket ps`).
import type { RequestHandler } from 'express'
import type { LocalModel } from '../../../models/types.ts'
import type { ServerContext } from '../../context.ts'
import { v1ModelEntry } from '../../format/lmstudio.ts'

export function listModelsV1(ctx: ServerContext): RequestHandler {
  return async (_req, res) => {
    const instances = ctx.residency.list()
    const byKey = new Map<string, LocalModel[]>()
    for (const m of await ctx.catalogue.list())
      byKey.set(m.key, [...(byKey.get(m.key) ?? []), m])
    // Loaded models whose files vanished from disk still show up.
    for (const i of instances)
      if (!byKey.has(i.local.key)) byKey.set(i.local.key, [i.local])
    const models = [...byKey.values()].map((variants) =>
      v1ModelEntry(
        variants,
        instances.filter((i) => i.local.key === variants[0]?.key),
      ),
    )
    res.json({ models })
  }
}
