// Serves LM Studio's SDK protocol on the HTTP server's port: a websocket
// upgrade on `/<namespace>` (llm, embedding, system; the SDK's other
// namespaces connect but answer "not supported"), whose first message is
// the SDK's auth packet. With an API key set, the connection must carry it
// (`Authorization: Bearer` on the upgrade, or as the client passkey). A
// browser page (an `Origin` header) is refused unless CORS is on, since
// websockets are not covered by the same-origin policy.
import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import { type WebSocket, WebSocketServer } from 'ws'
import type { ServerContext } from '../context.ts'
import { embeddingNamespace } from './namespaces/embedding.ts'
import { llmNamespace } from './namespaces/llm.ts'
import { systemNamespace } from './namespaces/system.ts'
import { authPacketSchema, type Namespace } from './protocol.ts'
import { SdkSession } from './session.ts'

export type SdkServerOptions = {
  apiKey?: string
  cors?: boolean
}

const UNSUPPORTED = ['diagnostics', 'files', 'repository', 'plugins', 'runtime']

export function attachSdkServer(
  server: Server,
  ctx: ServerContext,
  options: SdkServerOptions = {},
): { close(): void } {
  const namespaces: Record<string, Namespace> = {
    llm: llmNamespace(ctx),
    embedding: embeddingNamespace(ctx),
    system: systemNamespace(ctx),
    ...Object.fromEntries(
      UNSUPPORTED.map((n) => [n, { rpc: {}, channels: {} }]),
    ),
  }
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 << 20 })
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const name = new URL(req.url ?? '/', 'http://x').pathname.slice(1)
    const namespace = namespaces[name]
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`)
    }
    if (!namespace) return refuse('404 Not Found')
    if (req.headers.origin && !options.cors) return refuse('403 Forbidden')
    wss.handleUpgrade(req, socket, head, (ws) =>
      authenticate(ws, req, options.apiKey, () => {
        new SdkSession(ws, name, namespace)
      }),
    )
  }
  server.on('upgrade', onUpgrade)
  return {
    close: () => {
      server.off('upgrade', onUpgrade)
      for (const ws of wss.clients) ws.terminate()
      wss.close()
    },
  }
}

function authenticate(
  ws: WebSocket,
  req: IncomingMessage,
  apiKey: string | undefined,
  onSuccess: () => void,
): void {
  const timer = setTimeout(() => ws.close(1008, 'no auth packet'), 10_000)
  ws.once('message', (data) => {
    clearTimeout(timer)
    let packet: ReturnType<typeof authPacketSchema.safeParse>
    try {
      packet = authPacketSchema.safeParse(JSON.parse(String(data)))
    } catch {
      packet = authPacketSchema.safeParse(undefined)
    }
    const fail = (error: string) => {
      ws.send(JSON.stringify({ success: false, error }))
      ws.close(1008, error)
    }
    if (!packet.success)
      return fail('The first message must be the SDK auth packet.')
    if (apiKey) {
      const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')
      const given = bearer?.[1] ?? packet.data.clientPasskey
      if (!sameKey(given, apiKey))
        return fail(
          'Invalid or missing API key: pass it as the client passkey (clientPasskey) or as a Bearer token.',
        )
    }
    ws.send(JSON.stringify({ success: true }))
    onSuccess()
  })
}

function sameKey(given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}
