// Cross-cutting middleware: optional bearer-token auth (LM Studio also takes
// `x-api-key`) and CORS for browser clients.
import { timingSafeEqual } from 'node:crypto'
import type { RequestHandler } from 'express'
import { UnauthorizedError } from './errors.ts'

export function requireApiKey(apiKey: string): RequestHandler {
  const expected = Buffer.from(apiKey)
  return (req, _res, next) => {
    if (req.method === 'OPTIONS') return next()
    const header = req.get('authorization') ?? ''
    const given = Buffer.from(
      header.match(/^Bearer\s+(.+)$/i)?.[1] ?? req.get('x-api-key') ?? '',
    )
    const ok =
      given.length === expected.length && timingSafeEqual(given, expected)
    next(ok ? undefined : new UnauthorizedError())
  }
}

export function cors(): RequestHandler {
  return (req, res, next) => {
    res.setHeader('Access-Control-Allow-Origin', req.get('origin') ?? '*')
    res.setHeader('Vary', 'Origin')
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, DELETE, OPTIONS')
    res.setHeader(
      'Access-Control-Allow-Headers',
      req.get('access-control-request-headers') ?? '*',
    )
    res.setHeader('Access-Control-Max-Age', '86400')
    if (req.method === 'OPTIONS') {
      res.status(204).end()
      return
    }
    next()
  }
}
