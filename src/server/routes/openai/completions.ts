// POST /v1/completions and /api/v0/completions: raw prompt, no chat template.
import type { RequestHandler } from 'express'
import type { ServerContext } from '../../context.ts'
import { parseCompletionRequest } from '../../validate/completionRequest.ts'
import { type Flavor, respond } from './respond.ts'

export function completions(
  ctx: ServerContext,
  flavor: Flavor = 'openai',
): RequestHandler {
  return async (req, res) => {
    await respond(
      ctx,
      req,
      res,
      parseCompletionRequest(req.body),
      'text',
      flavor,
    )
  }
}
