// Unknown request fields are a 400 naming the field on every endpoint, in
// OpenAI's error shape; the fields real clients send (the official `openai`
// client's request types, LM Studio's extensions) are still accepted, and
// known-but-unsupported OpenAI features are a 400 naming them.
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeServer } from '../../helpers/fakeServer.ts'
import { readJson } from '../../helpers/readJson.ts'

let srv: Awaited<ReturnType<typeof startFakeServer>>
let client: OpenAI
beforeAll(async () => {
  srv = await startFakeServer({ modelOptions: { reply: 'ok' } })
  client = new OpenAI({
    baseURL: `${srv.url}/v1`,
    apiKey: 'unused',
    maxRetries: 0,
  })
})
afterAll(() => srv.close())

const post = (path: string, body: unknown) =>
  fetch(`${srv.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })

async function expect400(res: Response, param: string, code: string) {
  expect(res.status).toBe(400)
  const body = await readJson(res)
  expect(body).toEqual({
    error: {
      message: expect.stringContaining(param),
      type: 'invalid_request_error',
      param,
      code,
    },
  })
  return body.error.message as string
}

const user = [{ role: 'user', content: 'x' }]
const chat = { model: 'tiny-chat', messages: user }

describe('unknown fields are a 400 naming them', () => {
  const cases: [string, string, Record<string, unknown>, string][] = [
    ['/v1/chat/completions', 'chat', { ...chat, foo: 1 }, 'foo'],
    ['/v1/chat/completions', 'a typo', { ...chat, max_token: 5 }, 'max_token'],
    [
      '/v1/chat/completions',
      'a message field',
      { ...chat, messages: [{ role: 'user', content: 'x', colour: 'red' }] },
      'messages[0].colour',
    ],
    [
      '/v1/chat/completions',
      'a content part field',
      {
        ...chat,
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'x', bold: true }] },
        ],
      },
      'messages[0].content[0].bold',
    ],
    [
      '/v1/chat/completions',
      'a stream_options field',
      { ...chat, stream: true, stream_options: { include_usge: true } },
      'stream_options.include_usge',
    ],
    [
      '/v1/chat/completions',
      'a tool field',
      {
        ...chat,
        tools: [
          {
            type: 'function',
            function: { name: 'f', parameters: {} },
            cache: true,
          },
        ],
      },
      'tools[0].cache',
    ],
    [
      '/v1/chat/completions',
      'a response_format field',
      { ...chat, response_format: { type: 'json_object', strict: true } },
      'response_format.strict',
    ],
    ['/api/v0/chat/completions', 'v0 chat', { ...chat, foo: 1 }, 'foo'],
    [
      '/v1/completions',
      'completions',
      { model: 'tiny-chat', prompt: 'x', messages: user },
      'messages',
    ],
    [
      '/api/v0/completions',
      'v0 completions',
      { model: 'tiny-chat', prompt: 'x', top: 1 },
      'top',
    ],
    [
      '/v1/embeddings',
      'embeddings',
      { model: 'test/tiny-embed', input: 'x', normalize: true },
      'normalize',
    ],
    [
      '/api/v1/chat',
      'LM Studio v1 chat',
      { model: 'tiny-chat', input: 'x', max_tokens: 5 },
      'max_tokens',
    ],
    [
      '/api/v1/chat',
      'a v1 input item field',
      {
        model: 'tiny-chat',
        input: [{ type: 'message', content: 'x', role: 'user' }],
      },
      'input[0].role',
    ],
    ['/api/v1/models/load', 'load', { model: 'tiny-chat', gpu: 'max' }, 'gpu'],
    [
      '/api/v1/models/unload',
      'unload',
      { instance_id: 'x', force: true },
      'force',
    ],
    [
      '/api/v1/models/download',
      'download',
      { model: 'x/y', revision: 'main' },
      'revision',
    ],
    ['/api/v1/search', 'search', { query: 'x', limit: 3 }, 'limit'],
  ]
  for (const [path, what, body, param] of cases)
    it(`${what} (${path}): '${param}'`, async () => {
      const message = await expect400(
        await post(path, body),
        param,
        'unknown_parameter',
      )
      expect(message).toBe(`Unknown parameter: '${param}'.`)
    })

  it('the openai client raises a BadRequestError with the param', async () => {
    const error = await client.chat.completions
      .create({ ...chat, foo: 1 } as never)
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe(
      'foo',
    )
  })
})

describe('known but unsupported OpenAI fields are a 400 naming them', () => {
  const cases: [string, unknown][] = [
    ['audio', { voice: 'alloy', format: 'wav' }],
    ['modalities', ['text', 'audio']],
    ['functions', [{ name: 'f', parameters: {} }]],
    ['function_call', 'auto'],
    ['prediction', { type: 'content', content: 'x' }],
    ['web_search_options', {}],
    ['verbosity', 'low'],
  ]
  for (const [field, value] of cases)
    it(field, async () => {
      await expect400(
        await post('/v1/chat/completions', { ...chat, [field]: value }),
        field,
        'unsupported_parameter',
      )
    })
})

describe('what real clients send is accepted', () => {
  it('every bookkeeping field of the openai client, and null "off" values', async () => {
    const r = await client.chat.completions.create({
      ...chat,
      messages: [{ role: 'user', content: 'x', name: 'ann' }],
      user: 'u1',
      metadata: { run: '1' },
      store: false,
      service_tier: 'auto',
      safety_identifier: 'abc',
      prompt_cache_key: 'k',
      prompt_cache_retention: 'in-memory',
      n: 1,
      logit_bias: { '65': 1 },
      parallel_tool_calls: true,
      stream: false,
      stream_options: null,
      modalities: ['text'],
      audio: null,
      reasoning_effort: 'low',
      seed: 1,
      // LM Studio / llama.cpp / vLLM extensions.
      ...({
        ttl: 60,
        top_k: 20,
        min_p: 0.05,
        repeat_penalty: 1.1,
        chat_template_kwargs: { enable_thinking: false },
        reasoning_format: 'auto',
      } as object),
    } as OpenAI.ChatCompletionCreateParamsNonStreaming)
    expect(r.choices[0]?.message.content).toBe('ok')
  })

  it('null sampling values mean "not set"', async () => {
    const r = await client.chat.completions.create({
      ...chat,
      temperature: null,
      top_p: null,
      max_tokens: null,
      stop: null,
      seed: null,
      presence_penalty: null,
      frequency_penalty: null,
      logprobs: null,
      tools: null,
      tool_choice: null,
      response_format: null,
      reasoning_effort: null,
      ...({ top_k: null, min_p: null, repeat_penalty: null } as object),
    } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming)
    expect(r.choices[0]?.message.content).toBe('ok')
    const options = srv.loaded[0]?.calls.at(-1)?.options ?? {}
    for (const key of [
      'temperature',
      'topP',
      'topK',
      'minP',
      'repetitionPenalty',
    ])
      expect(options).not.toHaveProperty(key)
  })

  it('a response message echoed back into the history', async () => {
    const first = await client.chat.completions.create(chat as never)
    const echoed = first.choices[0]?.message as unknown as object
    const r = await client.chat.completions.create({
      ...chat,
      messages: [
        ...(chat.messages as OpenAI.ChatCompletionMessageParam[]),
        // refusal: null, annotations, ... as the client hands them back.
        { ...echoed, refusal: null, annotations: [] } as never,
        { role: 'user', content: 'again' },
      ],
    })
    expect(r.choices[0]?.message.content).toBe('ok')
  })

  it('streams with include_usage and include_obfuscation', async () => {
    const stream = await client.chat.completions.create({
      ...chat,
      stream: true,
      stream_options: { include_usage: true, include_obfuscation: false },
    } as OpenAI.ChatCompletionCreateParamsStreaming)
    let text = ''
    for await (const c of stream) text += c.choices[0]?.delta.content ?? ''
    expect(text).toBe('ok')
  })

  it('completions with user and stream_options', async () => {
    const r = await client.completions.create({
      model: 'tiny-chat',
      prompt: 'x',
      user: 'u',
      n: 1,
      best_of: 1,
      echo: false,
    })
    expect(r.choices[0]?.text).toBe('ok')
  })
})
