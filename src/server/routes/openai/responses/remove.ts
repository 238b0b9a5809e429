// DELETE /v1/responses/{id}: forgets a stored response (and its file).
import type { RequestHandler } from 'express'
import type { ServerContext } from '../../../context.ts'
import { ResponseNotFoundError } from '../../../errors.ts'

export function deleteResponse(ctx: ServerContext): RequestHandler {
  return (req, res) => {
    const id = String(req.params.id)
    if (!ctx.responses.delete(id)) throw new ResponseNotFoundError(id)
    res.json({ id, object: 'response', deleted: true })
  }
}
