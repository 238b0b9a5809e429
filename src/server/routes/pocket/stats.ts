// GET /api/v1/stats: generation counters (active, completed, cancelled,
// failed), token totals, request counts, memory (resident weights against
// the budget, the process's RSS) and the loaded instances' in-flight
// requests. Pocket's own route: the load test checks that disconnects
// cancel, the web app's Server view shows it.
import { memoryUsage } from 'node:process'
import type { RequestHandler } from 'express'
import type { ServerContext } from '../../context.ts'

export function stats(ctx: ServerContext): RequestHandler {
  return (_req, res) => {
    const instances = ctx.residency.list()
    res.json({
      ...ctx.generations.snapshot(),
      requests: ctx.log.requests(),
      memory: {
        weightsBytes: instances.reduce((n, i) => n + i.local.sizeBytes, 0),
        budgetBytes: ctx.residency.memoryBudgetBytes,
        rssBytes: memoryUsage.rss(),
      },
      instances: instances.map((i) => ({
        identifier: i.identifier,
        activeRequests: i.activeRequests,
      })),
    })
  }
}
