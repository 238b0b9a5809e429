// POST /api/v1/search: semantic search over the index built by
// `pocket index add` (SQLite + sqlite-vec at $POCKET_INDEX or the default
// path). The query is embedded with the model the index was built with.
import type { RequestHandler } from 'express'
import { z } from 'zod'
import { defaultIndexPath } from '../../../search/defaultIndexPath.ts'
import { searchIndex } from '../../../search/searchIndex.ts'
import { VectorStore } from '../../../search/VectorStore.ts'
import type { ServerContext } from '../../context.ts'
import { InvalidRequestError, NotImplementedError } from '../../errors.ts'
import { parseBody } from '../../validate/parseBody.ts'

const schema = z.strictObject({
  query: z.string().min(1),
  k: z.number().int().min(1).max(1000).optional(),
})

export function search(
  ctx: ServerContext,
  indexPath = defaultIndexPath(),
): RequestHandler {
  return async (req, res) => {
    const b = parseBody(schema, req.body)
    const store = VectorStore.open(indexPath)
    try {
      const model = store.meta('model')
      if (!model)
        throw new InvalidRequestError(
          'The search index is empty. Add files with `pocket index add <files or folder>`.',
          'query',
          'index_empty',
        )
      const lease = await ctx.residency.acquire(model, {})
      try {
        const m = lease.model
        const embed = m.embed?.bind(m)
        if (!embed)
          throw new NotImplementedError(`Model "${model}" cannot embed.`)
        const hits = await searchIndex(
          store,
          {
            info: { path: model },
            dimensions: m.info.hiddenSize,
            embed: (t) => embed(t),
          },
          { query: b.query, k: b.k ?? 5, model },
        )
        res.json({
          object: 'list',
          model,
          data: hits.map((h) => ({
            path: h.path,
            start_line: h.startLine,
            end_line: h.endLine,
            score: h.score,
            text: h.text,
          })),
        })
      } finally {
        lease.release()
      }
    } finally {
      store.close()
    }
  }
}
