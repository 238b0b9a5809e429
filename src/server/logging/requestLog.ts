// Express middleware: one log record per request when its response ends
// (or the client leaves): method, path, status, milliseconds, the model a
// generation request named, and for failures the error message.
import type { RequestHandler } from 'express'
import type { ServerLog } from './ServerLog.ts'

export function requestLog(log: ServerLog): RequestHandler {
  return (req, res, next) => {
    const start = performance.now()
    let done = false
    const finish = (aborted: boolean) => {
      if (done) return
      done = true
      const model = (req.body as { model?: unknown } | undefined)?.model
      const record = {
        method: req.method,
        path: req.path,
        status: res.statusCode,
        ms: Math.round(performance.now() - start),
        ...(typeof model === 'string' ? { model } : {}),
        ...(aborted ? { aborted: true } : {}),
        ...(res.locals.errorMessage ? { error: res.locals.errorMessage } : {}),
      }
      log.countRequest(res.statusCode)
      if (res.statusCode >= 500) log.logger.error(record, 'request')
      else if (res.statusCode >= 400) log.logger.warn(record, 'request')
      else log.logger.info(record, 'request')
    }
    res.once('finish', () => finish(false))
    res.once('close', () => finish(!res.writableFinished))
    next()
  }
}
