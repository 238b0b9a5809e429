// GET /v1/responses/{id}/input_items: the conversation's input items of a
// stored response, paginated like OpenAI's lists (`order` desc by default,
// `limit` 1-100 default 20, `after` an item id).
import type { RequestHandler } from 'express'
import type { ServerContext } from '../../../context.ts'
import { InvalidRequestError, ResponseNotFoundError } from '../../../errors.ts'

export function listInputItems(ctx: ServerContext): RequestHandler {
  return (req, res) => {
    const id = String(req.params.id)
    const stored = ctx.responses.get(id)
    if (!stored) throw new ResponseNotFoundError(id)
    const order = req.query.order ?? 'desc'
    if (order !== 'asc' && order !== 'desc')
      throw new InvalidRequestError(
        "Invalid 'order': must be 'asc' or 'desc'.",
        'order',
        'invalid_value',
      )
    const limit = req.query.limit === undefined ? 20 : Number(req.query.limit)
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      throw new InvalidRequestError(
        "Invalid 'limit': must be an integer from 1 to 100.",
        'limit',
        'invalid_value',
      )
    let items = stored.input as { id: string }[]
    if (order === 'desc') items = [...items].reverse()
    const after = req.query.after
    if (typeof after === 'string') {
      const at = items.findIndex((i) => i.id === after)
      if (at < 0)
        throw new InvalidRequestError(
          `Invalid 'after': no input item '${after}'.`,
          'after',
          'invalid_value',
        )
      items = items.slice(at + 1)
    }
    const data = items.slice(0, limit)
    res.json({
      object: 'list',
      data,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
      has_more: items.length > limit,
    })
  }
}
