// The market view of `pocket start`: the web app (web/dist) on 127.0.0.1
// with its config at /market/config.json, the indexer's API proxied under
// /indexer and the chain's JSON-RPC under /rpc, so the page talks to one
// origin and the CSP can stay `connect-src 'self'`. The engine's API is not
// here (that is `pocket serve`): /v1 and /api answer a JSON 404 saying so.
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express, { type Request, type Response } from 'express'
import type { Address, Hex } from 'viem'
import { serveWebApp, WEB_DIST_DIR } from '../server/web/serveWebApp.ts'

export type ServeMarketWebParameters = {
  chainUrl: string
  chainId: number
  indexerUrl: string
  addresses: { TaskMarket: Address; Staking: Address; PocketToken: Address }
  model: { digest: Hex; name: string }
  /** The requester's dev account (unlocked in the local hardhat node). */
  devAccount: Address
  port?: number
  /** Built app folder (default web/dist). */
  webDir?: string
}

export type MarketWeb = {
  url: string
  /** The URL that opens the market view. */
  marketUrl: string
  close(): Promise<void>
}

/** Forwards a request to `target` and sends its answer back. */
async function forward(req: Request, res: Response, target: string) {
  try {
    const init: RequestInit = {
      method: req.method,
      headers: { 'content-type': 'application/json' },
      signal: AbortSignal.timeout(30_000),
    }
    if (req.method === 'POST') init.body = JSON.stringify(req.body)
    const answer = await fetch(target, init)
    res.status(answer.status)
    res.type(answer.headers.get('content-type') ?? 'application/json')
    res.send(Buffer.from(await answer.arrayBuffer()))
  } catch (error) {
    res.status(502).json({
      error: {
        message: `upstream ${new URL(target).origin} unreachable: ${(error as Error).message}`,
        type: 'server_error',
      },
    })
  }
}

export async function serveMarketWeb(
  p: ServeMarketWebParameters,
): Promise<MarketWeb> {
  const app = express()
  app.disable('x-powered-by')
  app.use(serveWebApp(p.webDir ?? WEB_DIST_DIR))
  app.get('/market/config.json', (_req, res) => {
    res.json({
      chainId: p.chainId,
      indexerUrl: '/indexer',
      rpcUrl: '/rpc',
      addresses: p.addresses,
      model: p.model,
      devAccount: p.devAccount,
    })
  })
  app.get('/indexer/*path', (req, res) => {
    const path = req.originalUrl.slice('/indexer'.length)
    void forward(req, res, `${p.indexerUrl}${path}`)
  })
  app.post('/indexer/graphql', express.json(), (req, res) => {
    void forward(req, res, `${p.indexerUrl}/graphql`)
  })
  app.post('/rpc', express.json({ limit: '4mb' }), (req, res) => {
    void forward(req, res, p.chainUrl)
  })
  app.use((req, res) => {
    res.status(404).json({
      error: {
        message: `${req.method} ${req.path} is not served here: this is the market view of \`pocket start\`; the chat and models APIs are \`pocket serve\`'s.`,
        type: 'invalid_request_error',
        code: 'not_found',
      },
    })
  })
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(p.port ?? 0, '127.0.0.1', (error?: Error) =>
      error ? reject(error) : resolve(s),
    )
  })
  const { port } = server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}`
  let closing: Promise<void> | null = null
  return {
    url,
    marketUrl: `${url}/#/market`,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closing
    },
  }
}
