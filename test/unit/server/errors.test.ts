// Every error path answers an OpenAI-shaped body with the right status:
// unknown routes, bad JSON, validation, unknown models, context overflow,
// oversized bodies, auth, wrong model type; client disconnect cancels.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startFakeServer } from '../../helpers/fakeServer.ts'
import { readJson } from '../../helpers/readJson.ts'

let srv: Awaited<ReturnType<typeof startFakeServer>>
beforeAll(async () => {
  srv = await startFakeServer({ bodyLimit: '4kb' })
})
afterAll(() => srv.close())

const send = (path: string, body?: unknown, init: RequestInit = {}) =>
  fetch(`${srv.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body:
      typeof body === 'string'
        ? body
        : body === undefined
          ? undefined
          : JSON.stringify(body),
    ...init,
  })
const chat = (
  extra: object,
  messages: unknown = [{ role: 'user', content: 'x' }],
) => send('/v1/chat/completions', { model: 'tiny-chat', messages, ...extra })

async function expectError(res: Response, status: number, match: object) {
  expect(res.status).toBe(status)
  expect(res.headers.get('content-type')).toMatch(/application\/json/)
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

describe('error mapping', () => {
  it('unknown routes and methods are 404, never 200', async () => {
    const e = await expectError(await send('/api/tags'), 404, {
      type: 'invalid_request_error',
      code: 'not_found',
    })
    expect(e.message).toContain('GET /api/tags')
    await expectError(await send('/v1/chat/completions'), 404, {
      code: 'not_found',
    })
    await expectError(await send('/v2/anything', {}), 404, {
      code: 'not_found',
    })
  })

  it('invalid JSON is 400', async () => {
    await expectError(await send('/v1/chat/completions', '{"model": '), 400, {
      code: 'invalid_json',
    })
    await expectError(await send('/v1/chat/completions', '[1,2]'), 400, {
      code: 'invalid_body',
    })
  })

  it('validation errors name the field', async () => {
    await expectError(
      await send('/v1/chat/completions', { model: 'tiny-chat' }),
      400,
      {
        param: 'messages',
        code: 'missing_required_parameter',
      },
    )
    await expectError(await chat({ temperature: 5 }), 400, {
      param: 'temperature',
      code: 'invalid_value',
    })
    await expectError(await chat({ n: 2 }), 400, { param: 'n' })
    await expectError(await chat({ top_logprobs: 2 }), 400, {
      param: 'top_logprobs',
    })
    await expectError(await chat({ max_tokens: 0 }), 400, {
      param: 'max_tokens',
    })
    await expectError(await chat({ response_format: { type: 'xml' } }), 400, {
      param: 'response_format.type',
    })
    await expectError(await chat({}, [{ role: 'wizard', content: 'x' }]), 400, {
      param: 'messages[0].role',
    })
    await expectError(await chat({ logit_bias: { '999999': 1 } }), 400, {
      param: 'logit_bias',
    })
    await expectError(
      await send('/v1/completions', {
        model: 'tiny-chat',
        prompt: 'x',
        echo: true,
      }),
      400,
      { param: 'echo' },
    )
  })

  it('images: data URIs only, and only on vision models', async () => {
    const part = (url: string) => [
      { role: 'user', content: [{ type: 'image_url', image_url: { url } }] },
    ]
    await expectError(
      await chat({}, part('https://example.invalid/cat.png')),
      400,
      {
        param: 'messages[0].content[0].image_url.url',
      },
    )
    const e = await expectError(
      await chat({}, part('data:image/png;base64,AAAA')),
      400,
      { code: 'unsupported_content' },
    )
    expect(e.message).toContain('does not support images')
  })

  it('unknown model is 404 model_not_found', async () => {
    await expectError(
      await send('/v1/chat/completions', {
        model: 'nobody/nothing',
        messages: [{ role: 'user', content: 'x' }],
      }),
      404,
      {
        param: 'model',
        code: 'model_not_found',
      },
    )
    await expectError(await send('/api/v0/models/nobody/nothing'), 404, {
      code: 'model_not_found',
    })
    await expectError(
      await send('/api/v1/models/unload', { instance_id: 'ghost' }),
      404,
      { code: 'model_not_found' },
    )
    await expectError(await send('/api/v1/models/download/status/job_x'), 404, {
      code: 'job_not_found',
    })
  })

  it('context overflow is a 400 with both numbers, streamed or not', async () => {
    const long = [{ role: 'user', content: 'y'.repeat(600) }]
    for (const stream of [false, true]) {
      const e = await expectError(await chat({ stream }, long), 400, {
        type: 'invalid_request_error',
        code: 'context_length_exceeded',
        param: 'messages',
      })
      expect(e.message).toContain('512')
      expect(e.message).toContain('617')
    }
  })

  it('oversized body is 413', async () => {
    await expectError(
      await chat({}, [{ role: 'user', content: 'z'.repeat(10_000) }]),
      413,
      { code: 'request_too_large' },
    )
  })

  it('embeddings on a chat model is a clear 400; on an embedding model 501 until the engine embeds', async () => {
    const e = await expectError(
      await send('/v1/embeddings', { model: 'tiny-chat', input: 'hi' }),
      400,
      {
        code: 'invalid_model_type',
      },
    )
    expect(e.message).toContain('not an embedding model')
    await expectError(
      await send('/v1/embeddings', { model: 'test/tiny-embed', input: 'hi' }),
      501,
      { code: 'not_implemented' },
    )
  })

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
      const res = await fetch(`${held.url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({
          model: 'tiny-chat',
          messages: [{ role: 'user', content: 'x' }],
          stream: true,
        }),
        signal: ac.signal,
      })
      const reader = res.body!.getReader()
      await reader.read()
      ac.abort()
      const model = held.loaded[0]!
      await vi.waitFor(() =>
        expect(model.calls[0]?.options.signal?.aborted).toBe(true),
      )
      open()
      await vi.waitFor(() => expect(model.cancelled).toBe(1))
      await vi.waitFor(() =>
        expect(held.server.context.residency.list()[0]?.status).toBe('idle'),
      )
    } finally {
      open()
      await held.close()
    }
  })
  it('a non-streaming client that disconnects cancels too', async () => {
    let open!: () => void
    const gate = new Promise<void>((r) => {
      open = r
    })
    const held = await startFakeServer({ modelOptions: { gate: () => gate } })
    try {
      const ac = new AbortController()
      const pending = fetch(`${held.url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({
          model: 'tiny-chat',
          messages: [{ role: 'user', content: 'x' }],
        }),
        signal: ac.signal,
      }).catch(() => null)
      await vi.waitFor(() => expect(held.loaded[0]?.calls).toHaveLength(1))
      ac.abort()
      await pending
      const model = held.loaded[0]
      await vi.waitFor(() =>
        expect(model?.calls[0]?.options.signal?.aborted).toBe(true),
      )
      open()
      await vi.waitFor(() => expect(model?.cancelled).toBe(1))
      await vi.waitFor(() =>
        expect(held.server.context.residency.list()[0]?.status).toBe('idle'),
      )
    } finally {
      open()
      await held.close()
    }
  })
})

describe('auth, CORS and JIT off', () => {
  it('bearer token required when configured', async () => {
    const locked = await startFakeServer({ apiKey: 'sekret' })
    try {
      const r1 = await fetch(`${locked.url}/v1/models`)
      expect(r1.status).toBe(401)
      expect((await readJson(r1)).error.code).toBe('invalid_api_key')
      expect(
        (
          await fetch(`${locked.url}/v1/models`, {
            headers: { authorization: 'Bearer wrong' },
          })
        ).status,
      ).toBe(401)
      expect(
        (
          await fetch(`${locked.url}/v1/models`, {
            headers: { authorization: 'Bearer sekret' },
          })
        ).status,
      ).toBe(200)
      expect(
        (
          await fetch(`${locked.url}/v1/models`, {
            headers: { 'x-api-key': 'sekret' },
          })
        ).status,
      ).toBe(200)
    } finally {
      await locked.close()
    }
  })

  it('CORS preflight when enabled', async () => {
    const open = await startFakeServer({ cors: true, apiKey: 'k' })
    try {
      const r = await fetch(`${open.url}/v1/chat/completions`, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://app.local',
          'access-control-request-headers': 'authorization,content-type',
        },
      })
      expect(r.status).toBe(204)
      expect(r.headers.get('access-control-allow-origin')).toBe(
        'http://app.local',
      )
      expect(r.headers.get('access-control-allow-headers')).toBe(
        'authorization,content-type',
      )
    } finally {
      await open.close()
    }
    const r = await fetch(`${srv.url}/v1/models`, {
      headers: { origin: 'http://app.local' },
    })
    expect(r.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('JIT off: only loaded models are listed and others are 400 model_not_loaded', async () => {
    const strict = await startFakeServer({ residencyOptions: { jit: false } })
    try {
      const list = await readJson(await fetch(`${strict.url}/v1/models`))
      expect(list.data).toEqual([])
      const r = await fetch(`${strict.url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({
          model: 'tiny-chat',
          messages: [{ role: 'user', content: 'x' }],
        }),
      })
      await expectError(r, 400, { code: 'model_not_loaded', param: 'model' })
    } finally {
      await strict.close()
    }
  })
})
