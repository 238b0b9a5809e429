// Calls the running `pocket serve` (found through server.json, `--url`, or
// POCKET_SERVER_URL) with the API key from POCKET_API_KEY. Server errors
// come back as one-line CLI errors carrying the server's message.
import { BaseError } from '../engine/errors.ts'
import { UsageError } from './errors.ts'
import { readServerState } from './serverState.ts'

export class ServerRequestError extends BaseError {
  override name = 'ServerRequestError' as const
}

export function serverUrl(url?: string): string {
  const found = url ?? process.env.POCKET_SERVER_URL ?? readServerState()?.url
  if (!found) {
    throw new UsageError('No pocket server is running.', {
      details: 'Start one with `pocket serve` (or pass --url).',
    })
  }
  return found.replace(/\/+$/, '')
}

export async function callServer<T>(
  method: 'GET' | 'POST',
  path: string,
  options: { url?: string; body?: unknown } = {},
): Promise<T> {
  const base = serverUrl(options.url)
  const key = process.env.POCKET_API_KEY
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  }).catch((error) => {
    throw new UsageError(`Cannot reach the pocket server at ${base}.`, {
      details: 'Is `pocket serve` running?',
      cause: error,
    })
  })
  const json = (await res.json().catch(() => null)) as {
    error?: { message?: string }
  } | null
  if (!res.ok) {
    throw new ServerRequestError(
      json?.error?.message ?? `HTTP ${res.status} from ${path}`,
    )
  }
  return json as T
}
