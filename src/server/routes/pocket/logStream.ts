// GET /api/v1/logs/stream (ours; what `pocket log stream` reads): the
// server's log records as they happen, one SSE `data:` frame each (a pino
// JSON line), until the client leaves.
import type { RequestHandler } from 'express'
import type { ServerLog } from '../../logging/ServerLog.ts'
import { SseWriter } from '../../sse.ts'

export function logStream(log: ServerLog): RequestHandler {
  return (req, res) => {
    const sse = new SseWriter(res)
    sse.open()
    sse.comment('pocket log stream')
    const unsubscribe = log.subscribe((line) => sse.data(line))
    req.once('close', unsubscribe)
    res.once('close', unsubscribe)
  }
}
