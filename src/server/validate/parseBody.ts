// Runs a zod schema over a request body and turns the first issue into an
// InvalidRequestError naming the offending field (`messages[0].content`).
// Schemas are strict objects: a field the endpoint does not know is a 400
// naming it (`Unknown parameter: 'foo'.`), never silently dropped.
import type { z } from 'zod'
import { InvalidRequestError } from '../errors.ts'

type Issue = z.core.$ZodIssue

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
  const first = result.error.issues[0]
  const issue = first ? mostSpecific(first) : undefined
  if (issue?.code === 'unrecognized_keys') {
    const param = formatPath([...issue.path, issue.keys[0] ?? ''])
    throw new InvalidRequestError(
      `Unknown parameter: '${param}'.`,
      param,
      'unknown_parameter',
    )
  }
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

/**
 * A union's issue says only "Invalid input"; the branch that got furthest
 * (deepest path) is the one the client meant, and its issue names the field.
 */
function mostSpecific(issue: Issue): Issue {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue
  let best: Issue = issue
  for (const branch of issue.errors) {
    const first = branch[0]
    if (!first) continue
    const candidate = mostSpecific({
      ...first,
      path: [...issue.path, ...first.path],
    } as Issue)
    if (candidate.path.length > best.path.length) best = candidate
  }
  return best
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
