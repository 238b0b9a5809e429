// Server-Sent Events framing. OpenAI streams are `data: <json>\n\n` lines
// ending with `data: [DONE]\n\n`; LM Studio's /api/v1/chat uses named events
// (`event: <type>\ndata: <json>\n\n`). Writes after the client left are
// dropped, and the client leaving aborts `signal` so generation stops.
import type { Request, Response } from 'express'

export class SseWriter {
  readonly #res: Response

  constructor(res: Response) {
    this.#res = res
  }

  /** Sends the stream headers right away (no buffering proxies, no Nagle). */
  open(): void {
    this.#res.status(200)
    this.#res.setHeader('Content-Type', 'text/event-stream; charset=utf-8')
    this.#res.setHeader('Cache-Control', 'no-cache')
    this.#res.setHeader('Connection', 'keep-alive')
    this.#res.setHeader('X-Accel-Buffering', 'no')
    this.#res.socket?.setNoDelay(true)
    this.#res.flushHeaders()
  }

  get closed(): boolean {
    return this.#res.writableEnded || this.#res.destroyed
  }

  data(payload: unknown): void {
    this.#write(
      `data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`,
    )
  }

  event(type: string, payload: unknown): void {
    this.#write(`event: ${type}\ndata: ${JSON.stringify(payload)}\n\n`)
  }

  /** An SSE comment: keeps proxies from timing out during long prefill. */
  comment(text: string): void {
    this.#write(`: ${text}\n\n`)
  }

  /** OpenAI's terminator, then the end of the response. */
  done(): void {
    this.data('[DONE]')
    this.end()
  }

  end(): void {
    if (!this.closed) this.#res.end()
  }

  #write(frame: string): void {
    if (!this.closed) this.#res.write(frame)
  }
}

/** Aborts when the client disconnects before the response is complete. */
export function clientAbortSignal(req: Request, res: Response): AbortSignal {
  const controller = new AbortController()
  const onClose = () => {
    if (!res.writableFinished)
      controller.abort(new Error('client disconnected'))
  }
  res.once('close', onClose)
  req.once('aborted', onClose)
  return controller.signal
}
