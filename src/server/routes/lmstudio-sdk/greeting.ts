// GET /lmstudio-greeting: how LM Studio's SDK recognizes a server when it
// probes ports; the SDK itself then speaks websockets (lmstudio-sdk/).
import type { RequestHandler } from 'express'

export function greeting(): RequestHandler {
  return (_req, res) => {
    res.json({ lmstudio: true })
  }
}
