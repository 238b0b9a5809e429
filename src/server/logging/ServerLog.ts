// The server's structured log (pino, JSON lines): one record per request
// (method, path, status, duration, model, the error message of a failed
// one) and whatever else the server reports. Records go to stdout when
// asked (`pocket serve`) and to live subscribers (`pocket log stream`,
// through GET /api/v1/logs/stream).
import { type Logger, pino } from 'pino'

export type ServerLogOptions = {
  /** Write JSON lines to stdout (default false: quiet for libraries and tests). */
  stdout?: boolean
  /** pino level (default "info"). */
  level?: string
}

export class ServerLog {
  readonly logger: Logger
  readonly #subscribers = new Set<(line: string) => void>()
  readonly #stdout: boolean
  readonly #requests = { total: 0, errors: 0 }

  constructor(options: ServerLogOptions = {}) {
    this.#stdout = !!options.stdout
    const destination = {
      write: (line: string) => {
        if (this.#stdout) process.stdout.write(line)
        for (const s of this.#subscribers) s(line.trimEnd())
      },
    }
    this.logger = pino(
      { level: options.level ?? 'info', base: undefined },
      destination,
    )
  }

  /** Counts a finished request (status >= 400 is an error). */
  countRequest(status: number): void {
    this.#requests.total++
    if (status >= 400) this.#requests.errors++
  }

  /** Requests finished since the server started, and how many failed. */
  requests(): { total: number; errors: number } {
    return { ...this.#requests }
  }

  /** Receives every record from now on (a JSON line); returns unsubscribe. */
  subscribe(listener: (line: string) => void): () => void {
    this.#subscribers.add(listener)
    return () => this.#subscribers.delete(listener)
  }
}
