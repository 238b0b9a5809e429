// GET /api/v1/stats: generation counters (active, completed, cancelled,
// failed) and the loaded instances' in-flight request counts. Pocket's own
// route, used by the load test to check that disconnects cancel.
import type { RequestHandler } from 'express'
import type { ServerContext } from '../../context.ts'

export function stats(ctx: ServerContext): RequestHandler {
  return (_req, res) => {
    res.json({
      ...ctx.generations.snapshot(),
      instances: ctx.residency.list().map((i) => ({
        identifier: i.identifier,
        activeRequests: i.activeRequests,
      })),
    })
  }
}
