// Remote images: http(s) fetch with a byte limit and a time limit.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { fetchImage } from '../../../src/engine/vision/fetchImage.ts'

let server: Server
let base: string
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/small.png') {
      res.writeHead(200, { 'content-type': 'image/png' })
      res.end(Buffer.alloc(100, 1))
    } else if (req.url === '/big.png') {
      res.writeHead(200, { 'content-type': 'image/png' })
      res.end(Buffer.alloc(5000, 1))
    } else if (req.url === '/slow.png') {
      setTimeout(() => res.end('late'), 2000)
    } else {
      res.writeHead(404)
      res.end()
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => {
  server.closeAllConnections()
  server.close()
})

it('fetches an http image within the limits', async () => {
  const img = await fetchImage(`${base}/small.png`, { maxBytes: 1000 })
  expect(img.mimeType).toBe('image/png')
  expect(img.data.length).toBe(100)
})

it('refuses images over the byte limit, slow servers and HTTP errors', async () => {
  await expect(
    fetchImage(`${base}/big.png`, { maxBytes: 1000 }),
  ).rejects.toThrow(/larger than 1000 bytes/)
  await expect(
    fetchImage(`${base}/slow.png`, { timeoutMs: 200 }),
  ).rejects.toThrow(/could not fetch/)
  await expect(fetchImage(`${base}/missing.png`)).rejects.toThrow(/HTTP 404/)
  await expect(
    fetchImage(`${base}/small.png`, { allowRemote: false }),
  ).rejects.toThrow(/disabled/)
})
