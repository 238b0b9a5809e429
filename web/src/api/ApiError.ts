// An error answered by one of our APIs, carrying the API's own message
// (OpenAI-shaped `{error: {message}}`, LM Studio's `{error: "..."}`, or the
// indexer's), so the UI shows what the server said.
export class ApiError extends Error {
  override name = 'ApiError' as const
  readonly status: number
  readonly code: string | null
  readonly param: string | null

  constructor(
    message: string,
    status: number,
    code: string | null = null,
    param: string | null = null,
  ) {
    super(message)
    this.status = status
    this.code = code
    this.param = param
  }
}

/** The message of an API error body, or null when it is not one. */
export function apiErrorMessage(body: unknown): {
  message: string
  code: string | null
  param: string | null
} | null {
  if (!body || typeof body !== 'object') return null
  const error = (body as { error?: unknown }).error
  if (typeof error === 'string')
    return { message: error, code: null, param: null }
  if (error && typeof error === 'object') {
    const e = error as { message?: unknown; code?: unknown; param?: unknown }
    if (typeof e.message === 'string')
      return {
        message: e.message,
        code: typeof e.code === 'string' ? e.code : null,
        param: typeof e.param === 'string' ? e.param : null,
      }
  }
  return null
}

/** An ApiError from a failed response (its JSON error body when it has one). */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '')
  let body: unknown = null
  try {
    body = JSON.parse(text)
  } catch {
    // not JSON: the text itself, if short, says what went wrong
  }
  const parsed = apiErrorMessage(body)
  const fallback = text && text.length < 300 ? text.trim() : res.statusText
  return new ApiError(
    parsed?.message ?? `HTTP ${res.status}${fallback ? `: ${fallback}` : ''}`,
    res.status,
    parsed?.code ?? null,
    parsed?.param ?? null,
  )
}

export const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error)
