// Polls a condition until it holds, with a bounded timeout and an abort
// signal (Ctrl-C), for the marketplace run's waits on chain, daemons and
// indexer.
export class MarketplaceAbortedError extends Error {
  override name = 'MarketplaceAbortedError' as const
  constructor() {
    super('interrupted')
  }
}

export type WaitUntilParameters = {
  what: string
  timeoutMs: number
  intervalMs?: number
  signal?: AbortSignal
}

export async function waitUntil<T>(
  check: () => Promise<T | undefined | false>,
  p: WaitUntilParameters,
): Promise<T> {
  const deadline = Date.now() + p.timeoutMs
  for (;;) {
    if (p.signal?.aborted) throw new MarketplaceAbortedError()
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline)
      throw new Error(`timed out after ${p.timeoutMs} ms waiting for ${p.what}`)
    await new Promise((r) => setTimeout(r, p.intervalMs ?? 250))
  }
}

/** Throws when the run was interrupted; call between steps. */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new MarketplaceAbortedError()
}
