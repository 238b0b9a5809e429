// Images in chat over HTTP: the real server with the real engine serves a
// tiny random SmolVLM (written into the temporary HF hub cache next to the
// SmolLM2 weights). A png data URI and the same png from an http URL give a
// 200 with content; SmolLM2 given the image answers 400 "does not support
// images"; undecodable, oversized-by-header and unreachable images are 400s.
import { mkdir, writeFile } from 'node:fs/promises'
import { createServer as createHttpServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasEncoders } from '../../helpers/encoders.ts'
import { SMOL_KEY, startRealServer } from '../../helpers/realServer.ts'
import { writeTinyVlm } from '../../helpers/tinyVlm.ts'

const VLM_KEY = 'pocket-test/tiny-smolvlm'
let srv: Awaited<ReturnType<typeof startRealServer>>
let images: Server
let imagesUrl: string
let png: Buffer

type Reply = {
  choices: { message: { content: string } }[]
  usage: { prompt_tokens: number; completion_tokens: number }
  error: { message: string; param: string | null }
}

async function post(body: unknown) {
  const res = await fetch(`${srv.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: res.status, json: (await res.json()) as Reply }
}

const ask = (model: string, url: string) => ({
  model,
  max_tokens: 4,
  temperature: 0,
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is in the picture?' },
        { type: 'image_url', image_url: { url } },
      ],
    },
  ],
})

beforeAll(async () => {
  const n = 40
  const raw = Buffer.alloc(n * n * 3)
  for (let y = 0; y < n; y++)
    for (let x = 0; x < n; x++)
      raw.set([x * 6, 255 - y * 6, 128], (y * n + x) * 3)
  png = await sharp(raw, { raw: { width: n, height: n, channels: 3 } })
    .png()
    .toBuffer()
  srv = await startRealServer({}, async (hub) => {
    const repo = join(hub, 'models--pocket-test--tiny-smolvlm')
    await mkdir(join(repo, 'refs'), { recursive: true })
    await writeFile(join(repo, 'refs', 'main'), 'r1')
    writeTinyVlm(join(repo, 'snapshots', 'r1'), 'idefics3')
  })
  // A local image host: /ok.png, /big.png (declares 1 GB), /404.png.
  images = createHttpServer((req, res) => {
    if (req.url === '/ok.png') {
      res.writeHead(200, { 'content-type': 'image/png' })
      res.end(png)
    } else if (req.url === '/big.png') {
      res.writeHead(200, {
        'content-type': 'image/png',
        'content-length': String(1 << 30),
      })
      res.end()
    } else {
      res.writeHead(404)
      res.end()
    }
  })
  await new Promise<void>((r) => images.listen(0, '127.0.0.1', r))
  imagesUrl = `http://127.0.0.1:${(images.address() as AddressInfo).port}`
})
afterAll(async () => {
  images?.close()
  await srv?.close()
})

const dataUri = (b: Buffer) => `data:image/png;base64,${b.toString('base64')}`

describe.skipIf(!hasEncoders)('images in chat completions', () => {
  it('lists the VLM as type vlm', async () => {
    const res = await fetch(`${srv.url}/api/v0/models`)
    const { data: list } = (await res.json()) as {
      data: { id: string; type: string }[]
    }
    expect(list.find((m) => m.id === VLM_KEY)?.type).toBe('vlm')
  })

  it('answers a png data URI with 200 and content', async () => {
    const { status, json } = await post(ask(VLM_KEY, dataUri(png)))
    expect(status).toBe(200)
    expect(json.choices[0].message.content.length).toBeGreaterThan(0)
    expect(json.usage.completion_tokens).toBeGreaterThan(0)
    // 4 image tokens + their wrapper tokens are part of the prompt.
    expect(json.usage.prompt_tokens).toBeGreaterThan(7)
  })

  it('fetches an http(s) image URL with the same result as its data URI', async () => {
    const local = await post(ask(VLM_KEY, dataUri(png)))
    const remote = await post(ask(VLM_KEY, `${imagesUrl}/ok.png`))
    expect(remote.status).toBe(200)
    expect(remote.json.choices[0].message.content).toBe(
      local.json.choices[0].message.content,
    )
  })

  it('rejects bad images with a clear 400', async () => {
    const junk = await post(ask(VLM_KEY, dataUri(Buffer.from('not a png'))))
    expect(junk.status).toBe(400)
    expect(junk.json.error.message).toMatch(/cannot decode the image/)
    const bmp = await post(ask(VLM_KEY, 'data:image/bmp;base64,AAAA'))
    expect(bmp.status).toBe(400)
    expect(bmp.json.error.message).toMatch(/unsupported image type/)
    expect(bmp.json.error.param).toBe('messages[0].content[1].image_url.url')
    const big = await post(ask(VLM_KEY, `${imagesUrl}/big.png`))
    expect(big.status).toBe(400)
    expect(big.json.error.message).toMatch(/larger than/)
    const missing = await post(ask(VLM_KEY, `${imagesUrl}/404.png`))
    expect(missing.status).toBe(400)
    expect(missing.json.error.message).toMatch(/HTTP 404/)
  })

  it('answers 400 "does not support images" for SmolLM2', async () => {
    const { status, json } = await post(ask(SMOL_KEY, dataUri(png)))
    expect(status).toBe(400)
    expect(json.error.message).toMatch(/does not support images/)
  })
})
