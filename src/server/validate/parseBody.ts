// Runs a zod schema over a request body and turns the first issue into an
// InvalidRequestError naming the offending field (`messages[0].content`).
import type { z } from 'zod'
import { InvalidRequestError } from '../errors.ts'

export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidRequestError('Request body must be a JSON object.', null, 'invalid_body')
  }
  const result = schema.safeParse(body)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const param = issue ? formatPath(issue.path) : null
  const message = issue?.code === 'invalid_type' && issue.input === undefined
    ? `Missing required parameter: '${param}'.`
    : `Invalid '${param}': ${issue?.message ?? 'invalid value'}.`
  const code = issue?.input === undefined ? 'missing_required_parameter' : 'invalid_value'
  throw new InvalidRequestError(message, param, code)
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('')
}
