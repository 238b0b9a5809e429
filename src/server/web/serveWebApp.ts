// Serves the built web app (web/dist, made by `npm install` / `npm run
// build:web`) at `/`, before the API key check: the page itself holds no
// data and asks for the key, which then goes with every API call. Strict
// CSP: scripts, styles and connections only from this origin; images also
// from data:/blob: URLs (chat attachments).
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import express, { type RequestHandler, Router } from 'express'

/** Where `npm run build:web` writes the app. */
export const WEB_DIST_DIR = fileURLToPath(
  new URL('../../../web/dist', import.meta.url),
)

export const WEB_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

const securityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('Content-Security-Policy', WEB_CSP)
  res.setHeader('X-Content-Type-Options', 'nosniff')
  res.setHeader('Referrer-Policy', 'no-referrer')
  res.setHeader('X-Frame-Options', 'DENY')
  next()
}

/**
 * GET / and the app's assets from `dir`. A missing build answers `/` with a
 * 503 saying how to build it; other paths fall through to the API.
 */
export function serveWebApp(dir: string = WEB_DIST_DIR): Router {
  const router = Router()
  const built = existsSync(join(dir, 'index.html'))
  if (!built) {
    router.get(['/', '/index.html'], securityHeaders, (_req, res) => {
      res
        .status(503)
        .type('text/plain')
        .send(
          'The web app is not built. Run `npm run build:web` (npm install does it).\n',
        )
    })
    return router
  }
  router.get(['/', '/index.html'], securityHeaders, (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache')
    res.sendFile(join(dir, 'index.html'))
  })
  router.use(
    '/assets',
    securityHeaders,
    express.static(join(dir, 'assets'), {
      immutable: true,
      maxAge: '1y',
      index: false,
      fallthrough: true,
    }),
  )
  router.get('/favicon.svg', securityHeaders, (_req, res) => {
    res.sendFile(join(dir, 'favicon.svg'))
  })
  return router
}
