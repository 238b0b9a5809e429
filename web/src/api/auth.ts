// The API key (`pocket serve --api-key`) lives in sessionStorage: it goes
// with every request of this tab and is gone when the tab closes.
const KEY = 'pocket.apiKey'
const listeners = new Set<() => void>()

export function getApiKey(): string | null {
  try {
    return sessionStorage.getItem(KEY)
  } catch {
    return null
  }
}

export function setApiKey(key: string | null): void {
  if (key) sessionStorage.setItem(KEY, key)
  else sessionStorage.removeItem(KEY)
  for (const l of listeners) l()
}

/** Asked when a request answers 401: the app shows the login field. */
export function onAuthChange(listener: () => void): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

let unauthorized = false
export const isUnauthorized = () => unauthorized
export function markUnauthorized(value: boolean): void {
  if (unauthorized === value) return
  unauthorized = value
  for (const l of listeners) l()
}
