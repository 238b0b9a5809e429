// Bad input on LM Studio's /api/v1/chat and /api/v1/models/load: wrong
// types, unknown fields, an unknown MCP integration, an unknown model and an
// oversized body are OpenAI-shaped 4xx naming the field; a client that
// disconnects mid-stream cancels its generation; the server keeps serving.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startFakeServer } from '../../helpers/fakeServer.ts'
import { readJson } from '../../helpers/readJson.ts'

let srv: Awaited<ReturnType<typeof startFakeServer>>
beforeAll(async () => {
  srv = await startFakeServer({
    bodyLimit: '4kb',
    modelOptions: { reply: 'Sure.' },
  })
})
afterAll(() => srv.close())

const post = (path: string, body: unknown, url = srv.url) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
const chat = (extra: object) =>
  post('/api/v1/chat', { model: 'tiny-chat', input: 'Hi', ...extra })

async function expectError(res: Response, status: number, match: object) {
  expect(res.status).toBe(status)
  const body = await readJson(res)
  expect(Object.keys(body.error).sort()).toEqual([
    'code',
    'message',
    'param',
    'type',
  ])
  expect(body.error).toMatchObject(match)
  return body.error as { message: string }
}

async function stillServes() {
  const res = await chat({ store: false })
  expect(res.status).toBe(200)
  expect((await readJson(res)).output.at(-1)).toEqual({
    type: 'message',
    content: 'Sure.',
  })
}

describe('/api/v1/chat bad input', () => {
  it('wrong types name the field', async () => {
    const cases: [object, string][] = [
      [{ input: 5 }, 'input'],
      [{ input: [] }, 'input'],
      [{ input: [{ type: 'video', url: 'x' }] }, 'input[0].type'],
      [{ temperature: 'hot' }, 'temperature'],
      [{ temperature: 3 }, 'temperature'],
      [{ stream: 'yes' }, 'stream'],
      [{ max_output_tokens: 1.5 }, 'max_output_tokens'],
      [{ reasoning: 'maybe' }, 'reasoning'],
      [{ integrations: ['fs'] }, 'integrations[0]'],
      [{ store: 1 }, 'store'],
    ]
    for (const [extra, param] of cases) {
      const e = await expectError(await chat(extra), 400, {
        type: 'invalid_request_error',
        param,
      })
      expect(e.message.length).toBeGreaterThan(0)
    }
    await expectError(await post('/api/v1/chat', { input: 'Hi' }), 400, {
      param: 'model',
    })
    await stillServes()
  })

  it('unknown fields (OpenAI names too) are 400 unknown_parameter', async () => {
    for (const field of ['max_tokens', 'messages', 'tools'])
      await expectError(await chat({ [field]: 1 }), 400, {
        code: 'unknown_parameter',
        param: field,
      })
  })

  it('an unknown or refused MCP integration is a 400 naming it', async () => {
    const e = await expectError(
      await chat({ integrations: ['mcp/nope'] }),
      400,
      { code: 'mcp_not_allowed', param: 'integrations[0]' },
    )
    expect(e.message).toContain('--allow-mcp')
    await expectError(
      await chat({
        integrations: [
          {
            type: 'ephemeral_mcp',
            server_label: 'x',
            server_url: 'http://127.0.0.1:9/mcp',
          },
        ],
      }),
      400,
      { code: 'mcp_not_allowed' },
    )
    await stillServes()
  })

  it('an unknown model is 404, an oversized body 413; streamed too', async () => {
    await expectError(await chat({ model: 'no/such-model' }), 404, {
      code: 'model_not_found',
    })
    await expectError(
      await chat({ model: 'no/such-model', stream: true }),
      404,
      { code: 'model_not_found' },
    )
    await expectError(await chat({ input: 'z'.repeat(10_000) }), 413, {
      code: 'request_too_large',
    })
    await stillServes()
  })

  it('/api/v1/models/load: wrong types and unknown fields', async () => {
    const load = (extra: object) =>
      post('/api/v1/models/load', { model: 'tiny-chat', ...extra })
    await expectError(await load({ context_length: -1 }), 400, {
      param: 'context_length',
    })
    await expectError(await load({ parallel: 65 }), 400, { param: 'parallel' })
    await expectError(await load({ ttl: 'long' }), 400, { param: 'ttl' })
    await expectError(await load({ gpu: 'max' }), 400, {
      code: 'unknown_parameter',
      param: 'gpu',
    })
    await expectError(await load({ model: 'no/such-model' }), 404, {
      code: 'model_not_found',
    })
  })
})

describe('/api/v1/chat disconnect', () => {
  it('a client that disconnects mid-stream cancels the generation', async () => {
    let open!: () => void
    const gate = new Promise<void>((r) => {
      open = r
    })
    let tokens = 0
    const held = await startFakeServer({
      modelOptions: { gate: () => (tokens++ < 2 ? Promise.resolve() : gate) },
    })
    try {
      const ac = new AbortController()
      const res = await fetch(`${held.url}/api/v1/chat`, {
        method: 'POST',
        body: JSON.stringify({ model: 'tiny-chat', input: 'x', stream: true }),
        signal: ac.signal,
      })
      const reader = (res.body as ReadableStream<Uint8Array>).getReader()
      let text = ''
      while (!text.includes('message.delta'))
        text += new TextDecoder().decode((await reader.read()).value)
      ac.abort()
      const model = held.loaded[0]
      await vi.waitFor(() =>
        expect(model?.calls[0]?.options.signal?.aborted).toBe(true),
      )
      open()
      await vi.waitFor(() => expect(model?.cancelled).toBe(1))
      await vi.waitFor(() =>
        expect(held.server.context.residency.list()[0]?.status).toBe('idle'),
      )
      expect(
        held.server.context.generations.snapshot().cancelledGenerations,
      ).toBe(1)
      // The server keeps serving.
      const next = await post(
        '/api/v1/chat',
        { model: 'tiny-chat', input: 'again', store: false },
        held.url,
      )
      expect(next.status).toBe(200)
    } finally {
      open()
      await held.close()
    }
  })
})
