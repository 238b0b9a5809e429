// Byte-for-byte SSE framing of the OpenAI stream and of LM Studio's named
// /api/v1/chat events (ids and timestamps normalised).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeServer } from '../../helpers/fakeServer.ts'

let srv: Awaited<ReturnType<typeof startFakeServer>>
beforeAll(async () => {
  srv = await startFakeServer({ modelOptions: { reply: 'Hi!' } })
})
afterAll(() => srv.close())

const post = (path: string, body: unknown) =>
  fetch(`${srv.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })

const normalise = (s: string) =>
  s
    .replace(/"id":"chatcmpl-[\w-]+"/g, '"id":"ID"')
    .replace(/"created":\d+/g, '"created":0')
    .replace(/"resp_[0-9a-f]+"/g, '"RESP"')

describe('SSE framing', () => {
  it('OpenAI chat stream with usage, exactly', async () => {
    const res = await post('/v1/chat/completions', {
      model: 'tiny-chat',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
      stream_options: { include_usage: true },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe(
      'text/event-stream; charset=utf-8',
    )
    const head =
      '"id":"ID","object":"chat.completion.chunk","created":0,"model":"test/tiny-chat-GGUF","system_fingerprint":"test/tiny-chat-GGUF"'
    const delta = (c: string) =>
      `data: {${head},"choices":[{"index":0,"delta":{"role":"assistant","content":"${c}"},"logprobs":null,"finish_reason":null}],"usage":null}\n\n`
    expect(normalise(await res.text())).toBe(
      delta('H') +
        delta('i') +
        delta('!') +
        `data: {${head},"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}\n\n` +
        `data: {${head},"choices":[],"usage":{"prompt_tokens":18,"completion_tokens":3,"total_tokens":21,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}\n\n` +
        'data: [DONE]\n\n',
    )
  })

  it('without include_usage there is no usage field at all', async () => {
    const res = await post('/v1/chat/completions', {
      model: 'tiny-chat',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    })
    const frames = (await res.text()).split('\n\n').filter(Boolean)
    expect(frames.at(-1)).toBe('data: [DONE]')
    expect(frames).toHaveLength(5)
    for (const f of frames.slice(0, -1))
      expect(JSON.parse(f.slice(6))).not.toHaveProperty('usage')
  })

  it('LM Studio /api/v1/chat named events of a JIT load, exactly', async () => {
    await post('/api/v1/models/unload', { instance_id: 'test/tiny-chat-GGUF' })
    const res = await post('/api/v1/chat', {
      model: 'tiny-chat',
      input: 'x',
      stream: true,
      store: false,
    })
    const ev = (type: string, data: object) =>
      `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`
    const text = (await res.text()).replace(
      /"load_time_seconds":[\d.]+/,
      '"load_time_seconds":0',
    )
    const stats = JSON.parse(text.match(/"stats":(\{[^}]*\})/)?.[1] ?? 'null')
    expect(stats).toMatchObject({
      input_tokens: 18,
      total_output_tokens: 3,
      reasoning_output_tokens: 0,
    })
    const id = 'test/tiny-chat-GGUF'
    expect(text).toBe(
      ev('chat.start', { model_instance_id: id }) +
        ev('model_load.start', { model_instance_id: id }) +
        ev('model_load.progress', { model_instance_id: id, progress: 0 }) +
        ev('model_load.progress', { model_instance_id: id, progress: 1 }) +
        ev('model_load.end', { model_instance_id: id, load_time_seconds: 0 }) +
        ev('prompt_processing.start', {}) +
        ev('prompt_processing.progress', { progress: 0 }) +
        ev('prompt_processing.progress', { progress: 1 }) +
        ev('prompt_processing.end', {}) +
        ev('message.start', {}) +
        ev('message.delta', { content: 'H' }) +
        ev('message.delta', { content: 'i' }) +
        ev('message.delta', { content: '!' }) +
        ev('message.end', {}) +
        ev('chat.end', {
          result: {
            model_instance_id: id,
            output: [{ type: 'message', content: 'Hi!' }],
            stats,
          },
        }),
    )
  })
})
