// The official `@anthropic-ai/sdk` client against the real server running
// the real SmolLM2 weights: plain and streamed messages (the documented SSE
// event sequence, checked on the raw frames too), a tool_use / tool_result
// round trip, tool_choice any / tool / none, stop_sequences, count_tokens
// (the same count generation bills), x-api-key and Bearer auth, and bad
// input answered with Anthropic-shaped 4xx while the server keeps serving,
// and a disconnect mid-stream cancelling the generation.
import Anthropic from '@anthropic-ai/sdk'
import { Ajv2020 } from 'ajv/dist/2020.js'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { SMOL_KEY, startRealServer } from '../../helpers/realServer.ts'

const KEY = 'test-key'
let srv: Awaited<ReturnType<typeof startRealServer>>
let client: Anthropic
const ajv = new Ajv2020({ strict: false })
const valid = (schema: object, value: unknown) => ajv.validate(schema, value)

const weatherSchema = {
  type: 'object' as const,
  properties: {
    city: { type: 'string', minLength: 1, maxLength: 30 },
    unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
  },
  required: ['city', 'unit'],
  additionalProperties: false,
}
const timeSchema = {
  type: 'object' as const,
  properties: { timezone: { type: 'string', maxLength: 30 } },
  required: ['timezone'],
  additionalProperties: false,
}
const tools: Anthropic.Tool[] = [
  {
    name: 'get_weather',
    description: 'Current weather in a city',
    input_schema: weatherSchema,
  },
  {
    name: 'get_time',
    description: 'Current time in a timezone',
    input_schema: timeSchema,
  },
]
const system = 'You are a terse assistant.'
const ask = (text: string): Anthropic.MessageParam[] => [
  { role: 'user', content: text },
]
const greedy = { model: SMOL_KEY, temperature: 0, max_tokens: 12 }

beforeAll(async () => {
  srv = await startRealServer({ apiKey: KEY, bodyLimit: '1mb' })
  client = new Anthropic({
    baseURL: srv.url,
    apiKey: KEY,
    maxRetries: 0,
    timeout: 600_000,
  })
})
afterAll(() => srv?.close())

const textOf = (m: Anthropic.Message) =>
  m.content.map((b) => (b.type === 'text' ? b.text : '')).join('')

let plain: Anthropic.Message

describe('messages', () => {
  it('answers with a text block, usage and the same greedy text as chat completions', async () => {
    plain = await client.messages.create({
      ...greedy,
      system,
      messages: ask('Name three colors.'),
    })
    expect(plain.type).toBe('message')
    expect(plain.role).toBe('assistant')
    expect(plain.id).toMatch(/^msg_/)
    expect(plain.model).toBe(SMOL_KEY)
    expect(plain.content[0]?.type).toBe('text')
    expect(plain.stop_reason).toBe('max_tokens')
    expect(plain.stop_sequence).toBeNull()
    expect(plain.usage.output_tokens).toBe(12)
    const openai = new OpenAI({
      baseURL: `${srv.url}/v1`,
      apiKey: KEY,
      maxRetries: 0,
    })
    const chat = await openai.chat.completions.create({
      ...greedy,
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: 'Name three colors.' },
      ],
    })
    expect(textOf(plain)).toBe(chat.choices[0]?.message.content?.trimStart())
    expect(
      plain.usage.input_tokens + (plain.usage.cache_read_input_tokens ?? 0),
    ).toBe(chat.usage?.prompt_tokens)
  })

  it('streams the documented event sequence and the same text', async () => {
    const stream = client.messages.stream({
      ...greedy,
      system,
      messages: ask('Name three colors.'),
    })
    const types: string[] = []
    for await (const e of stream) types.push(e.type)
    const final = await stream.finalMessage()
    expect(types[0]).toBe('message_start')
    expect(types.slice(-2)).toEqual(['message_delta', 'message_stop'])
    const body = types.slice(1, -2)
    expect(body[0]).toBe('content_block_start')
    expect(body.at(-1)).toBe('content_block_stop')
    expect(body.slice(1, -1).every((t) => t === 'content_block_delta')).toBe(
      true,
    )
    expect(textOf(final)).toBe(textOf(plain))
    expect(final.stop_reason).toBe('max_tokens')
    expect(final.usage.output_tokens).toBe(12)
    expect(
      final.usage.input_tokens + (final.usage.cache_read_input_tokens ?? 0),
    ).toBe(
      plain.usage.input_tokens + (plain.usage.cache_read_input_tokens ?? 0),
    )
  })

  it('raw SSE frames: `event: X` matches data.type, ping after message_start', async () => {
    const res = await fetch(`${srv.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': KEY,
        'anthropic-version': '2023-06-01',
      },
      body: JSON.stringify({
        ...greedy,
        stream: true,
        messages: ask('Hi'),
      }),
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const frames = (await res.text()).split('\n\n').filter(Boolean)
    const events = frames.map((f) => {
      const m = /^event: (\S+)\ndata: (.*)$/s.exec(f)
      if (!m) throw new Error(`bad frame: ${f}`)
      const data = JSON.parse(m[2] as string)
      expect(data.type).toBe(m[1])
      return data
    })
    expect(events.map((e) => e.type).slice(0, 2)).toEqual([
      'message_start',
      'ping',
    ])
    expect(events[0].message.usage.input_tokens).toBeGreaterThan(0)
    const start = events.find((e) => e.type === 'content_block_start')
    expect(start).toMatchObject({
      index: 0,
      content_block: { type: 'text', text: '' },
    })
    const delta = events.find((e) => e.type === 'content_block_delta')
    expect(delta.delta.type).toBe('text_delta')
    const end = events.at(-2)
    expect(end.type).toBe('message_delta')
    expect(['end_turn', 'max_tokens']).toContain(end.delta.stop_reason)
    const deltas = events.filter((e) => e.type === 'content_block_delta')
    expect(end.usage.output_tokens).toBeGreaterThanOrEqual(deltas.length)
    expect(events.at(-1)).toEqual({ type: 'message_stop' })
  })

  it('stop_sequences end the text where the sequence starts', async () => {
    const text = textOf(plain)
    const stopAt = text.slice(4, 8)
    expect(stopAt.trim().length).toBeGreaterThan(0)
    const r = await client.messages.create({
      ...greedy,
      system,
      messages: ask('Name three colors.'),
      stop_sequences: [stopAt],
    })
    expect(r.stop_reason).toBe('stop_sequence')
    expect(r.stop_sequence).toBe(stopAt)
    expect(text.startsWith(textOf(r))).toBe(true)
    expect(textOf(r)).not.toContain(stopAt)
  })
})

describe('tools', () => {
  const question = ask('What is the weather in Paris?')
  let call: Anthropic.ToolUseBlock | undefined

  it('tool_choice any: a tool_use block whose input validates, stop_reason tool_use', async () => {
    const r = await client.messages.create({
      ...greedy,
      max_tokens: 80,
      messages: question,
      tools,
      tool_choice: { type: 'any' },
    })
    expect(r.stop_reason).toBe('tool_use')
    const uses = r.content.filter((b) => b.type === 'tool_use')
    expect(uses.length).toBeGreaterThanOrEqual(1)
    for (const u of uses) {
      expect(u.id).toMatch(/^toolu_/)
      const schema = u.name === 'get_time' ? timeSchema : weatherSchema
      expect(valid(schema, u.input)).toBe(true)
    }
    call = uses[0]
  })

  it('tool_choice tool: the named tool, streamed as input_json_delta', async () => {
    const stream = client.messages.stream({
      ...greedy,
      max_tokens: 80,
      messages: ask('What time is it in Tokyo?'),
      tools,
      tool_choice: { type: 'tool', name: 'get_time' },
    })
    let json = ''
    let started: Anthropic.ContentBlock | undefined
    for await (const e of stream) {
      if (e.type === 'content_block_start') started = e.content_block
      if (
        e.type === 'content_block_delta' &&
        e.delta.type === 'input_json_delta'
      )
        json += e.delta.partial_json
    }
    const final = await stream.finalMessage()
    expect(started).toMatchObject({
      type: 'tool_use',
      name: 'get_time',
      input: {},
    })
    expect(json.length).toBeGreaterThan(2)
    const use = final.content.find((b) => b.type === 'tool_use')
    expect(use?.input).toEqual(JSON.parse(json))
    expect(valid(timeSchema, use?.input)).toBe(true)
    expect(final.stop_reason).toBe('tool_use')
  })

  it('a tool_result round-trips; with tool_choice none the model answers in text', async () => {
    expect(call).toBeDefined()
    const use = call as Anthropic.ToolUseBlock
    const r = await client.messages.create({
      ...greedy,
      max_tokens: 40,
      tools,
      tool_choice: { type: 'none' },
      messages: [
        ...question,
        { role: 'assistant', content: [use] },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: use.id,
              content: JSON.stringify({ sky: 'sunny', celsius: 21 }),
            },
          ],
        },
      ],
    })
    expect(r.content.every((b) => b.type === 'text')).toBe(true)
    expect(textOf(r).trim().length).toBeGreaterThan(0)
    expect(['end_turn', 'max_tokens']).toContain(r.stop_reason)
  })

  it('count_tokens: what the message bills; tools add to it', async () => {
    const bare = await client.messages.countTokens({
      model: SMOL_KEY,
      system,
      messages: ask('Name three colors.'),
    })
    expect(bare.input_tokens).toBe(
      plain.usage.input_tokens + (plain.usage.cache_read_input_tokens ?? 0),
    )
    const withTools = await client.messages.countTokens({
      model: SMOL_KEY,
      system,
      messages: ask('Name three colors.'),
      tools,
    })
    expect(withTools.input_tokens).toBeGreaterThan(bare.input_tokens + 20)
  })
})

describe('auth and bad input: Anthropic-shaped 4xx, the server keeps serving', () => {
  const fail = (p: Promise<unknown>) =>
    p.then(
      () => {
        throw new Error('expected an error')
      },
      (e: unknown) => e as InstanceType<typeof Anthropic.APIError>,
    )
  const shaped = (e: InstanceType<typeof Anthropic.APIError>, type: string) => {
    expect(e.error).toMatchObject({ type: 'error', error: { type } })
  }

  it('Bearer works like x-api-key; a wrong key is a 401 authentication_error', async () => {
    const bearer = new Anthropic({
      baseURL: srv.url,
      authToken: KEY,
      apiKey: null,
      maxRetries: 0,
    })
    const ok = await bearer.messages.countTokens({
      model: SMOL_KEY,
      messages: ask('hi'),
    })
    expect(ok.input_tokens).toBeGreaterThan(0)
    const wrong = new Anthropic({
      baseURL: srv.url,
      apiKey: 'nope',
      maxRetries: 0,
    })
    const e = await fail(
      wrong.messages.create({ ...greedy, messages: ask('hi') }),
    )
    expect(e).toBeInstanceOf(Anthropic.AuthenticationError)
    shaped(e, 'authentication_error')
  })

  it('wrong types, missing fields and unknown fields name the field', async () => {
    const wrongType = await fail(
      client.messages.create({
        ...greedy,
        max_tokens: 'ten' as unknown as number,
        messages: ask('hi'),
      }),
    )
    expect(wrongType).toBeInstanceOf(Anthropic.BadRequestError)
    shaped(wrongType, 'invalid_request_error')
    expect(wrongType.message).toContain('max_tokens')
    const missing = await fail(
      client.messages.create({
        model: SMOL_KEY,
        messages: ask('hi'),
      } as Anthropic.MessageCreateParamsNonStreaming),
    )
    expect(missing.status).toBe(400)
    expect(missing.message).toContain('max_tokens')
    const unknown = await fail(
      client.messages.create({
        ...greedy,
        messages: ask('hi'),
        frobnicate: true,
      } as Anthropic.MessageCreateParamsNonStreaming),
    )
    expect(unknown.status).toBe(400)
    expect(unknown.message).toContain('frobnicate')
    const badBlock = await fail(
      client.messages.create({
        ...greedy,
        messages: [
          { role: 'user', content: [{ type: 'txt', text: 'hi' }] },
        ] as unknown as Anthropic.MessageParam[],
      }),
    )
    expect(badBlock.status).toBe(400)
    expect(badBlock.message).toContain('messages[0].content[0]')
  })

  it('an unknown tool (tool_choice, tool_result id) and server tools are 400s', async () => {
    const choice = await fail(
      client.messages.create({
        ...greedy,
        messages: ask('hi'),
        tools,
        tool_choice: { type: 'tool', name: 'nope' },
      }),
    )
    expect(choice.status).toBe(400)
    shaped(choice, 'invalid_request_error')
    expect(choice.message).toContain('tool_choice.name')
    expect(choice.message).toContain('nope')
    const result = await fail(
      client.messages.create({
        ...greedy,
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'ok' },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'toolu_x', content: '1' },
            ],
          },
        ],
      }),
    )
    expect(result.status).toBe(400)
    expect(result.message).toContain('toolu_x')
    const server = await fail(
      client.messages.create({
        ...greedy,
        messages: ask('hi'),
        tools: [{ type: 'web_search_20250305', name: 'web_search' }],
      }),
    )
    expect(server.status).toBe(400)
    expect(server.message).toContain('tools[0]')
    const schema = await fail(
      client.messages.create({
        ...greedy,
        messages: ask('hi'),
        tools: [
          {
            name: 'f',
            input_schema: {
              type: 'object',
              properties: { x: { minimum: 'a' } },
            },
          },
        ],
      }),
    )
    expect(schema.status).toBe(400)
    expect(schema.message).toContain('tools[0].input_schema')
  })

  it('an oversized body is a 413 request_too_large; unknown model a 404', async () => {
    const big = await fail(
      client.messages.create({
        ...greedy,
        messages: ask('x'.repeat(2 * 1024 * 1024)),
      }),
    )
    expect(big.status).toBe(413)
    shaped(big, 'request_too_large')
    const missing = await fail(
      client.messages.create({
        ...greedy,
        model: 'no/such-model',
        messages: ask('hi'),
      }),
    )
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError)
    shaped(missing, 'not_found_error')
    const images = await fail(
      client.messages.create({
        ...greedy,
        messages: [
          {
            role: 'user',
            content: [
              {
                type: 'image',
                source: {
                  type: 'base64',
                  media_type: 'image/png',
                  data: Buffer.from('not really a png').toString('base64'),
                },
              },
              { type: 'text', text: 'What is this?' },
            ],
          },
        ],
      }),
    )
    expect(images.status).toBe(400)
    expect(images.message).toContain('does not support images')
    const ok = await client.messages.create({ ...greedy, messages: ask('hi') })
    expect(ok.content.length).toBeGreaterThan(0)
  })

  it('a bad anthropic-version header is a 400', async () => {
    const res = await fetch(`${srv.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'anthropic-version': 'latest' },
      body: JSON.stringify({ ...greedy, messages: ask('hi') }),
    })
    expect(res.status).toBe(400)
    const body = (await res.json()) as Anthropic.ErrorResponse
    expect(body.type).toBe('error')
    expect(body.error.message).toContain('anthropic-version')
  })
})

describe('disconnect', () => {
  it('a client that disconnects mid-stream cancels its generation', async () => {
    const before = srv.server.context.generations.snapshot()
    const ac = new AbortController()
    const stream = client.messages.stream(
      {
        model: SMOL_KEY,
        max_tokens: 400,
        messages: ask('Write a long story about a dragon.'),
      },
      { signal: ac.signal },
    )
    await expect(
      (async () => {
        for await (const e of stream)
          if (e.type === 'content_block_delta') ac.abort()
      })(),
    ).rejects.toThrow()
    const residency = srv.server.context.residency
    await vi.waitFor(
      () => {
        expect(residency.find(SMOL_KEY)?.activeRequests).toBe(0)
        const now = srv.server.context.generations.snapshot()
        expect(now.activeGenerations).toBe(0)
        expect(now.cancelledGenerations).toBe(before.cancelledGenerations + 1)
      },
      { timeout: 30_000 },
    )
  })
})
