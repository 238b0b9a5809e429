// Retries RPC calls with exponential backoff and full jitter. Contract
// reverts are not retried (they are answers, not failures); transport
// errors, timeouts and rate limits are.
import { RpcError } from './errors.ts'

export type RetryOptions = {
  retries?: number
  baseMs?: number
  maxMs?: number
  /** Called before each retry (logging). */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void
}

const NOT_RETRYABLE =
  /ContractFunctionRevertedError|ContractFunctionExecutionError|reverted|InvalidInputRpcError|nonce too low|UserRejected/i

export function isRetryable(error: unknown): boolean {
  // programming errors are not transient
  if (error instanceof TypeError || error instanceof RangeError) return false
  const e = error as { name?: string; shortMessage?: string; message?: string }
  const text = `${e?.name ?? ''} ${e?.shortMessage ?? ''} ${e?.message ?? ''}`
  return !NOT_RETRYABLE.test(text)
}

export async function withRetry<T>(
  label: string,
  fn: () => Promise<T>,
  o: RetryOptions = {},
): Promise<T> {
  const retries = o.retries ?? 5
  const base = o.baseMs ?? 200
  const max = o.maxMs ?? 10_000
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn()
    } catch (error) {
      if (!isRetryable(error)) throw error
      if (attempt >= retries)
        throw new RpcError(`${label} failed after ${retries + 1} attempts.`, {
          cause: error,
          details: (error as Error)?.message?.split('\n')[0],
        })
      const delay = Math.random() * Math.min(max, base * 2 ** attempt)
      o.onRetry?.(error, attempt + 1, delay)
      await new Promise((r) => setTimeout(r, delay))
    }
  }
}
