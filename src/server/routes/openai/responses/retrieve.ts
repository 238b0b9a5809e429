// GET /v1/responses/{id}: a stored response, as it was returned.
import type { RequestHandler } from 'express'
import type { ServerContext } from '../../../context.ts'
import { InvalidRequestError, ResponseNotFoundError } from '../../../errors.ts'

export function retrieveResponse(ctx: ServerContext): RequestHandler {
  return (req, res) => {
    const id = String(req.params.id)
    if (req.query.stream === 'true')
      throw new InvalidRequestError(
        'Streaming a stored response is only possible for background responses, which this server does not run.',
        'stream',
        'unsupported_value',
      )
    const stored = ctx.responses.get(id)
    if (!stored) throw new ResponseNotFoundError(id)
    res.json(stored.response)
  }
}
