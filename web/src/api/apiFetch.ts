// fetch() for our APIs: sends the session's API key, turns a non-2xx answer
// into an ApiError with the API's message, and reports a 401 so the app
// asks for the key.
import { errorFromResponse } from './ApiError.ts'
import { getApiKey, markUnauthorized } from './auth.ts'

export type ApiFetchInit = Omit<RequestInit, 'body'> & { json?: unknown }

export async function apiFetch(
  path: string,
  init: ApiFetchInit = {},
): Promise<Response> {
  const headers = new Headers(init.headers)
  const key = getApiKey()
  if (key) headers.set('Authorization', `Bearer ${key}`)
  let body: BodyInit | undefined
  if (init.json !== undefined) {
    headers.set('Content-Type', 'application/json')
    body = JSON.stringify(init.json)
  }
  const { json: _json, ...rest } = init
  const res = await fetch(path, { ...rest, headers, body })
  if (res.status === 401) markUnauthorized(true)
  if (!res.ok) throw await errorFromResponse(res)
  return res
}

/** GET or POST returning the parsed JSON body. */
export async function apiJson<T>(
  path: string,
  init: ApiFetchInit = {},
): Promise<T> {
  const res = await apiFetch(path, init)
  return (await res.json()) as T
}
