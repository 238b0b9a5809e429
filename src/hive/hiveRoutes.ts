// The hive's HTTP endpoints. Member-only ones (status, generate, receipts,
// ledger entries) need a signed request and are mounted before the API key
// check with their own raw-body parser (the signature covers the bytes);
// revocations carry the hive key's signature themselves. `GET
// /v1/hive/peers` and `GET /v1/hive/ledger` are for clients, behind the
// server's API key like every other endpoint.
import express, { type Express, type RequestHandler } from 'express'
import type { ServerContext } from '../server/context.ts'
import type { SignedContribution } from './contributionReceipt.ts'
import { HiveFormatError } from './errors.ts'
import type { HiveMember } from './HiveMember.ts'
import { scoreMember } from './score.ts'
import { serveGeneration } from './serveGeneration.ts'
import { verifyRequest } from './signedRequest.ts'

function requireMember(member: HiveMember): RequestHandler {
  return (req, res, next) => {
    const raw = typeof req.body === 'string' ? req.body : ''
    res.locals.hiveCaller = verifyRequest(
      {
        headers: req.headers,
        method: req.method,
        path: req.originalUrl.split('?')[0] as string,
        body: raw,
      },
      member.hive.key.publicKey,
      member.revocations,
      member.nonces,
    )
    if (raw) {
      try {
        req.body = JSON.parse(raw)
      } catch {
        throw new HiveFormatError('The body is not JSON.')
      }
    }
    next()
  }
}

/** Before the API key and the JSON parser. */
export function mountMemberRoutes(
  app: Express,
  ctx: ServerContext,
  member: HiveMember,
): void {
  const raw = express.text({ type: () => true, limit: '64mb' })
  const auth = requireMember(member)
  app.get('/v1/hive/status', raw, auth, async (_req, res) => {
    res.json(await member.signedStatus())
  })
  app.post('/v1/hive/generate', raw, auth, serveGeneration(ctx, member))
  app.post('/v1/hive/receipts', raw, auth, (req, res) => {
    res.json({ added: member.ledger.add(req.body as SignedContribution) })
  })
  app.get('/v1/hive/ledger/entries', raw, auth, (_req, res) => {
    res.json({ data: member.ledger.entries() })
  })
  app.post('/v1/hive/revocations', express.json(), (req, res) => {
    const before = member.revocations.list().length
    member.revoke(req.body)
    const added = member.revocations.list().length > before
    if (!added && !member.revocations.has(req.body?.device))
      throw new HiveFormatError('Not a revocation signed by this hive.')
    res.json({ revoked: req.body.device, added })
  })
}

/** Client endpoints, after the API key check. */
export function mountClientRoutes(app: Express, member: HiveMember): void {
  app.get('/v1/hive/peers', (req, res) => {
    const model = typeof req.query.model === 'string' ? req.query.model : null
    res.json({
      device: member.device,
      failovers: member.failovers,
      data: member.peers().map((p) => ({
        device: p.device,
        name: p.cert.name,
        url: p.url,
        source: p.source,
        models: { loaded: p.status.loaded, available: p.status.available },
        queue: p.status.queue,
        tok_per_sec: p.status.tokPerSec,
        battery: p.status.power.battery,
        thermal: p.status.power.thermal,
        rtt_ms: Math.round(p.rttMs * 100) / 100,
        last_seen: p.lastSeen,
        score: model
          ? scoreMember(p.status, model, p.rttMs, member.policy)
          : null,
      })),
    })
  })
  app.get('/v1/hive/ledger', async (_req, res) => {
    // Merge what the other members recorded (bounded wait per member).
    await Promise.all(
      member.peers().map(async (p) => {
        try {
          const r = await member.signedFetch(p.url, '/v1/hive/ledger/entries', {
            signal: AbortSignal.timeout(3_000),
          })
          const { data } = (await r.json()) as { data: SignedContribution[] }
          for (const e of data) member.ledger.add(e)
        } catch {}
      }),
    )
    res.json({
      hive: member.hive.id,
      price_per_1k: member.hive.pricePer1k.toString(),
      devices: member.ledger.totals().map((t) => ({
        ...t,
        owed: t.owed.toString(),
      })),
      data: member.ledger.entries(),
    })
  })
}
