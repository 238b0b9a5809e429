// LM Studio's native surfaces: /api/v0 models + stats/model_info/runtime,
// /api/v1 models, load/unload with identifiers and TTL, stateful /api/v1/chat.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeServer } from '../../helpers/fakeServer.ts'
import { readJson } from '../../helpers/readJson.ts'

let srv: Awaited<ReturnType<typeof startFakeServer>>
beforeAll(async () => {
  srv = await startFakeServer({ modelOptions: { reply: 'Sure.' } })
})
afterAll(() => srv.close())

const get = (path: string) => fetch(`${srv.url}${path}`).then(readJson)
const post = (path: string, body: unknown) =>
  fetch(`${srv.url}${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, body: await readJson(r) }))

describe('LM Studio v0', () => {
  it('lists models with state, then loaded after a request', async () => {
    const before = await get('/api/v0/models')
    expect(before.data[0]).toEqual({
      id: 'test/tiny-chat-GGUF',
      object: 'model',
      type: 'llm',
      publisher: 'test',
      arch: 'llama',
      compatibility_type: 'gguf',
      quantization: 'Q4_1',
      state: 'not-loaded',
      max_context_length: 512,
      capabilities: [],
    })
    const r = await post('/api/v0/chat/completions', {
      model: 'tiny-chat',
      messages: [{ role: 'user', content: 'x' }],
    })
    expect(r.body.choices[0].message.content).toBe('Sure.')
    expect(r.body.stats).toMatchObject({
      stop_reason: 'eosFound',
      tokens_per_second: 100,
      time_to_first_token: 0.001,
    })
    expect(r.body.model_info).toEqual({
      arch: 'llama',
      quant: 'Q4_1',
      format: 'gguf',
      context_length: 512,
    })
    expect(r.body.runtime.supported_formats).toContain('gguf')
    const one = await get('/api/v0/models/test/tiny-chat-GGUF')
    expect(one).toMatchObject({ state: 'loaded', loaded_context_length: 512 })
  })

  it('completions carry stats with LM Studio stop reasons', async () => {
    const r = await post('/api/v0/completions', {
      model: 'tiny-chat',
      prompt: 'x',
      max_tokens: 2,
    })
    expect(r.body.object).toBe('text_completion')
    expect(r.body.stats.stop_reason).toBe('maxPredictedTokensReached')
  })
})

describe('LM Studio v1', () => {
  it('load with identifier + context, list instances, unload', async () => {
    const loaded = await post('/api/v1/models/load', {
      model: 'test/tiny-chat-GGUF',
      identifier: 'chat-2',
      ttl: 300,
      parallel: 3,
      echo_load_config: true,
    })
    expect(loaded.body).toMatchObject({
      type: 'llm',
      instance_id: 'chat-2',
      status: 'loaded',
      load_config: { context_length: 512, parallel: 3 },
    })
    const { models } = await get('/api/v1/models')
    const chat = models.find(
      (m: { key: string }) => m.key === 'test/tiny-chat-GGUF',
    )
    expect(chat).toMatchObject({
      type: 'llm',
      publisher: 'test',
      display_name: 'tiny-chat-GGUF',
      quantization: { name: 'Q4_1', bits_per_weight: 4 },
      format: 'gguf',
      variants: ['test/tiny-chat-GGUF@q4_1'],
      selected_variant: 'test/tiny-chat-GGUF@q4_1',
    })
    expect(
      chat.loaded_instances.map((i: { id: string }) => i.id).sort(),
    ).toEqual(['chat-2', 'test/tiny-chat-GGUF'])
    // The JIT instance has the server's default (8 without --parallel).
    const jit = chat.loaded_instances.find(
      (i: { id: string }) => i.id === 'test/tiny-chat-GGUF',
    )
    expect(jit.config.parallel).toBe(8)
    const inst = chat.loaded_instances.find(
      (i: { id: string }) => i.id === 'chat-2',
    )
    expect(inst).toMatchObject({
      config: { context_length: 512, parallel: 3 },
      ttl_seconds: 300,
      jit: false,
      status: 'idle',
    })
    expect(
      models.find((m: { key: string }) => m.key === 'test/tiny-embed').type,
    ).toBe('embedding')
    const r = await post('/v1/chat/completions', {
      model: 'chat-2',
      messages: [{ role: 'user', content: 'x' }],
    })
    expect(r.body.model).toBe('chat-2')
    expect(
      (await post('/api/v1/models/unload', { instance_id: 'chat-2' })).body,
    ).toEqual({ instance_id: 'chat-2' })
    expect(
      (await post('/api/v1/models/unload', { instance_id: 'chat-2' })).status,
    ).toBe(404)
  })

  it('stateful chat continues from previous_response_id', async () => {
    const first = await post('/api/v1/chat', {
      model: 'tiny-chat',
      input: 'Remember 7',
      system_prompt: 'Be terse',
    })
    expect(first.body).toMatchObject({
      model_instance_id: 'test/tiny-chat-GGUF',
      output: [{ type: 'message', content: 'Sure.' }],
    })
    expect(first.body.stats).toMatchObject({
      input_tokens: 43,
      total_output_tokens: 5,
      reasoning_output_tokens: 0,
    })
    expect(first.body.response_id).toMatch(/^resp_[0-9a-f]{48}$/)
    const second = await post('/api/v1/chat', {
      model: 'tiny-chat',
      input: 'What number?',
      previous_response_id: first.body.response_id,
    })
    const input = srv.loaded[0]!.calls.at(-1)!.input as {
      role: string
      content: string
    }[]
    expect(input.map((m) => m.role)).toEqual([
      'system',
      'user',
      'assistant',
      'user',
    ])
    expect(second.body.stats.cached_tokens).toBeGreaterThan(30)
    const stateless = await post('/api/v1/chat', {
      model: 'tiny-chat',
      input: 'x',
      store: false,
    })
    expect(stateless.body.response_id).toBeUndefined()
    const bad = await post('/api/v1/chat', {
      model: 'tiny-chat',
      input: 'x',
      previous_response_id: 'resp_nope',
    })
    expect(bad.status).toBe(400)
    expect(bad.body.error.param).toBe('previous_response_id')
  })
})
