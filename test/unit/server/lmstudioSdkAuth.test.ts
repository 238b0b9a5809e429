// The SDK websocket's guards, on the real server over fake models: with an
// API key the real `@lmstudio/sdk` client connects only with the key as its
// passkey (or a Bearer header), a browser Origin is refused unless CORS is
// on, and the greeting stays public.
import { LMStudioClient } from '@lmstudio/sdk'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { startFakeServer } from '../../helpers/fakeServer.ts'

let srv: Awaited<ReturnType<typeof startFakeServer>> | undefined
afterEach(() => srv?.close())

const firstMessage = (
  url: string,
  headers: Record<string, string>,
  passkey: string,
) =>
  new Promise<unknown>((resolve, reject) => {
    const ws = new WebSocket(`${url}/system`, { headers })
    ws.on('open', () =>
      ws.send(
        JSON.stringify({
          authVersion: 1,
          clientIdentifier: 'x',
          clientPasskey: passkey,
        }),
      ),
    )
    ws.on('message', (d) => {
      resolve(JSON.parse(String(d)))
      ws.close()
    })
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode))
    ws.on('error', reject)
  })

describe('SDK websocket auth', () => {
  it('an API key is required: as the passkey or a Bearer header', async () => {
    srv = await startFakeServer({ apiKey: 'secret' })
    const ws = srv.url.replace(/^http/, 'ws')
    expect(await firstMessage(ws, {}, 'wrong')).toMatchObject({
      success: false,
    })
    expect(await firstMessage(ws, {}, 'secret')).toEqual({ success: true })
    expect(
      await firstMessage(ws, { authorization: 'Bearer secret' }, 'random'),
    ).toEqual({ success: true })
    const client = new LMStudioClient({
      baseUrl: ws,
      clientIdentifier: 'test',
      clientPasskey: 'secret',
    })
    const models = await client.system.listDownloadedModels()
    expect(models.map((m) => m.modelKey)).toContain('test/tiny-chat-GGUF')
    const greeting = await fetch(`${srv.url}/lmstudio-greeting`)
    expect(greeting.status).toBe(200)
  })

  it('a browser Origin is refused (403) unless CORS is on', async () => {
    srv = await startFakeServer()
    const ws = srv.url.replace(/^http/, 'ws')
    expect(
      await firstMessage(ws, { origin: 'https://evil.example' }, 'x'),
    ).toBe(403)
    await srv.close()
    srv = await startFakeServer({ cors: true })
    const ws2 = srv.url.replace(/^http/, 'ws')
    expect(
      await firstMessage(ws2, { origin: 'https://app.example' }, 'x'),
    ).toEqual({ success: true })
  })
})
