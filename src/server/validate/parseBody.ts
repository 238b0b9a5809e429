// Runs a zod schema over a request body and turns the first issue into an
// InvalidRequestError naming the offending field (`messages[0].content`).
import type { z } from 'zod'
import { InvalidRequestError } from '../errors.ts'

export function parseBody<S extends z.ZodType>(
  schema: S,
  body: unknown,
): z.output<S> {
  if (
    body === undefined ||
    body === null ||
    typeof body !== 'object' ||
    Array.isArray(body)
  ) {
    throw new InvalidRequestError(
      'Request body must be a JSON object.',
      null,
      'invalid_body',
    )
  }
  const result = schema.safeParse(body)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const param = issue ? formatPath(issue.path) : null
  const missing =
    issue?.code === 'invalid_type' && valueAt(body, issue.path) === undefined
  const message = missing
    ? `Missing required parameter: '${param}'.`
    : `Invalid '${param}': ${issue?.message ?? 'invalid value'}.`
  throw new InvalidRequestError(
    message,
    param,
    missing ? 'missing_required_parameter' : 'invalid_value',
  )
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) =>
      typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`,
    )
    .join('')
}

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let v = body
  for (const key of path)
    v = v == null ? undefined : (v as Record<PropertyKey, unknown>)[key]
  return v
}
