// The official `openai` client's Responses API (`responses.create`,
// `responses.stream`, retrieve, delete, input items) against the real server
// running the real SmolLM2 weights: plain and streamed output (the
// documented event sequence, checked on the raw frames too), instructions,
// previous_response_id (the stored turns really reach the prompt), function
// tools with a function_call_output round trip, text.format json_schema,
// max_output_tokens, and bad input answered with OpenAI-shaped 4xx while
// the server keeps serving, and a disconnect cancelling the generation.
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Ajv2020 } from 'ajv/dist/2020.js'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { SMOL_KEY, startRealServer } from '../../helpers/realServer.ts'

let srv: Awaited<ReturnType<typeof startRealServer>>
let client: OpenAI
let stateDir: string
const ajv = new Ajv2020({ strict: false })

const weather = {
  type: 'object',
  properties: {
    city: { type: 'string', minLength: 1, maxLength: 30 },
    unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
  },
  required: ['city', 'unit'],
  additionalProperties: false,
}
const tools: OpenAI.Responses.FunctionTool[] = [
  {
    type: 'function',
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: weather,
    strict: true,
  },
]
const instructions = 'You are a terse assistant.'
const greedy = { model: SMOL_KEY, temperature: 0, max_output_tokens: 12 }

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'pocket-responses-'))
  srv = await startRealServer({
    bodyLimit: '1mb',
    responses: { dir: stateDir },
  })
  client = new OpenAI({
    baseURL: `${srv.url}/v1`,
    apiKey: 'unused',
    maxRetries: 0,
    timeout: 600_000,
  })
})
afterAll(async () => {
  await srv?.close()
  await rm(stateDir, { recursive: true, force: true })
})

let first: OpenAI.Responses.Response
const textOf = (r: OpenAI.Responses.Response) =>
  r.output
    .flatMap((o) => (o.type === 'message' ? o.content : []))
    .map((c) => (c.type === 'output_text' ? c.text : ''))
    .join('')

describe('responses.create', () => {
  it('answers with a message item, usage, and chat completions’ greedy text', async () => {
    first = await client.responses.create({
      ...greedy,
      instructions,
      input: 'Tell me about cats in one sentence.',
    })
    expect(first.object).toBe('response')
    expect(first.id).toMatch(/^resp_/)
    expect(first.model).toBe(SMOL_KEY)
    expect(first.status).toBe('incomplete')
    expect(first.incomplete_details?.reason).toBe('max_output_tokens')
    expect(first.instructions).toBe(instructions)
    const [item] = first.output
    expect(item?.type).toBe('message')
    expect(first.output_text.length).toBeGreaterThan(0)
    expect(first.usage?.output_tokens).toBe(12)
    const chat = await client.chat.completions.create({
      model: SMOL_KEY,
      temperature: 0,
      max_tokens: 12,
      messages: [
        { role: 'system', content: instructions },
        { role: 'user', content: 'Tell me about cats in one sentence.' },
      ],
    })
    expect(first.output_text).toBe(
      chat.choices[0]?.message.content?.trimStart(),
    )
    expect(first.usage?.input_tokens).toBe(chat.usage?.prompt_tokens)
  })

  it('previous_response_id puts the stored turns in the prompt (instructions are not carried)', async () => {
    const second = await client.responses.create({
      ...greedy,
      previous_response_id: first.id,
      input: 'And dogs?',
    })
    expect(second.previous_response_id).toBe(first.id)
    const chat = await client.chat.completions.create({
      model: SMOL_KEY,
      temperature: 0,
      max_tokens: 12,
      messages: [
        { role: 'user', content: 'Tell me about cats in one sentence.' },
        { role: 'assistant', content: first.output_text },
        { role: 'user', content: 'And dogs?' },
      ],
    })
    expect(second.usage?.input_tokens).toBe(chat.usage?.prompt_tokens)
    expect(second.output_text).toBe(
      chat.choices[0]?.message.content?.trimStart(),
    )
  })

  it('retrieve, input_items and delete; the response is a file in the state folder', async () => {
    const got = await client.responses.retrieve(first.id)
    expect(got).toEqual(first)
    expect(await readdir(stateDir)).toContain(`${first.id}.json`)
    const items = await client.responses.inputItems.list(first.id, {
      order: 'asc',
    })
    expect(items.data).toHaveLength(1)
    expect(items.data[0]).toMatchObject({
      type: 'message',
      role: 'user',
      content: [
        { type: 'input_text', text: 'Tell me about cats in one sentence.' },
      ],
    })
    expect(items.data[0]?.id).toMatch(/^msg_/)
    const temp = await client.responses.create({
      ...greedy,
      input: 'Say hi.',
    })
    const deleted = (await client.responses.delete(temp.id)) as unknown
    expect(deleted).toMatchObject({ id: temp.id, deleted: true })
    expect(await readdir(stateDir)).not.toContain(`${temp.id}.json`)
    const gone = await client.responses.retrieve(temp.id).catch((e) => e)
    expect(gone).toBeInstanceOf(OpenAI.NotFoundError)
    const unknown = await client.responses
      .create({ ...greedy, previous_response_id: temp.id, input: 'hi' })
      .catch((e) => e)
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError)
    expect(unknown.param).toBe('previous_response_id')
  })

  it('store: false keeps nothing', async () => {
    const r = await client.responses.create({
      ...greedy,
      input: 'Say hi.',
      store: false,
    })
    expect((r as { store?: boolean }).store).toBe(false)
    const e = await client.responses.retrieve(r.id).catch((e) => e)
    expect(e).toBeInstanceOf(OpenAI.NotFoundError)
  })
})

describe('truncation', () => {
  it('"auto" drops the oldest turns to fit; "disabled" is a 400', async () => {
    const loaded = await fetch(`${srv.url}/api/v1/models/load`, {
      method: 'POST',
      body: JSON.stringify({
        model: SMOL_KEY,
        context_length: 64,
        identifier: 'smol-64',
      }),
    })
    expect(loaded.status).toBe(200)
    const input: OpenAI.Responses.ResponseInput = [
      { role: 'user', content: 'word '.repeat(40) },
      { role: 'assistant', content: 'ok' },
      { role: 'user', content: 'Hi' },
    ]
    const full = await client.responses
      .create({ ...greedy, model: 'smol-64', max_output_tokens: 4, input })
      .catch((e) => e)
    expect(full).toBeInstanceOf(OpenAI.BadRequestError)
    expect(full.code).toBe('context_length_exceeded')
    const cut = await client.responses.create({
      ...greedy,
      model: 'smol-64',
      max_output_tokens: 4,
      input,
      truncation: 'auto',
    })
    expect(cut.truncation).toBe('auto')
    const alone = await client.responses.create({
      ...greedy,
      model: 'smol-64',
      max_output_tokens: 4,
      input: 'Hi',
    })
    expect(cut.usage?.input_tokens).toBe(alone.usage?.input_tokens)
    await fetch(`${srv.url}/api/v1/models/unload`, {
      method: 'POST',
      body: JSON.stringify({ instance_id: 'smol-64' }),
    })
  })
})

describe('responses.stream', () => {
  it('emits the documented events in order with increasing sequence numbers', async () => {
    const stream = client.responses.stream({
      ...greedy,
      instructions,
      input: 'Tell me about cats in one sentence.',
    })
    const events: OpenAI.Responses.ResponseStreamEvent[] = []
    for await (const e of stream) events.push(e)
    const final = await stream.finalResponse()
    const types = [...new Set(events.map((e) => e.type))]
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.incomplete',
    ])
    expect(events.map((e) => e.sequence_number)).toEqual(
      events.map((_, i) => i),
    )
    const done = events.find((e) => e.type === 'response.output_text.done')
    expect(done && 'text' in done ? done.text : '').toBe(first.output_text)
    const last = events.at(-1) as OpenAI.Responses.ResponseIncompleteEvent
    expect(last.response.status).toBe('incomplete')
    expect(last.response.usage?.output_tokens).toBe(12)
    // The client adds `output_text` to create() results only.
    expect(textOf(final)).toBe(first.output_text)
  })

  it('raw frames are `event: <type>` + data with the same type', async () => {
    const res = await fetch(`${srv.url}/v1/responses`, {
      method: 'POST',
      body: JSON.stringify({ ...greedy, input: 'Hi', stream: true }),
    })
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const frames = (await res.text()).split('\n\n').filter(Boolean)
    for (const f of frames) {
      const m = /^event: (\S+)\ndata: (.*)$/s.exec(f)
      expect(m).not.toBeNull()
      expect(JSON.parse(m?.[2] as string).type).toBe(m?.[1])
    }
    expect(frames.at(-1)).toMatch(/^event: response\.(completed|incomplete)/)
  })
})

describe('function tools and text.format', () => {
  let call: OpenAI.Responses.ResponseFunctionToolCall | undefined

  it('tool_choice required: a function_call item whose arguments validate', async () => {
    const r = await client.responses.create({
      ...greedy,
      max_output_tokens: 80,
      input: 'What is the weather in Paris?',
      tools,
      tool_choice: 'required',
    })
    expect(r.status).toBe('completed')
    const calls = r.output.filter((o) => o.type === 'function_call')
    expect(calls.length).toBeGreaterThanOrEqual(1)
    call = calls[0]
    expect(call?.id).toMatch(/^fc_/)
    expect(call?.call_id).toMatch(/^call_/)
    expect(call?.name).toBe('get_weather')
    expect(ajv.validate(weather, JSON.parse(call?.arguments ?? ''))).toBe(true)
    first = r
  })

  it('function_call_output round-trips through previous_response_id', async () => {
    const r = await client.responses.create({
      ...greedy,
      max_output_tokens: 30,
      previous_response_id: first.id,
      tools,
      tool_choice: 'none',
      input: [
        {
          type: 'function_call_output',
          call_id: call?.call_id ?? '',
          output: JSON.stringify({ sky: 'sunny', celsius: 21 }),
        },
      ],
    })
    expect(r.output.every((o) => o.type === 'message')).toBe(true)
    expect(r.output_text.trim().length).toBeGreaterThan(0)
  })

  it('streams a call as function_call_arguments deltas', async () => {
    const stream = client.responses.stream({
      ...greedy,
      max_output_tokens: 80,
      input: 'Weather in Rome?',
      tools,
      tool_choice: { type: 'function', name: 'get_weather' },
    })
    let args = ''
    let doneArgs = ''
    for await (const e of stream) {
      if (e.type === 'response.function_call_arguments.delta') args += e.delta
      if (e.type === 'response.function_call_arguments.done')
        doneArgs = e.arguments
    }
    const final = await stream.finalResponse()
    expect(doneArgs).toBe(args)
    const fc = final.output.find((o) => o.type === 'function_call')
    expect(fc?.arguments).toBe(args)
    expect(ajv.validate(weather, JSON.parse(args))).toBe(true)
  })

  it('text.format json_schema: the output text validates', async () => {
    const schema = {
      type: 'object',
      properties: {
        name: { type: 'string', maxLength: 20 },
        age: { type: 'integer', minimum: 0, maximum: 120 },
      },
      required: ['name', 'age'],
      additionalProperties: false,
    }
    const r = await client.responses.create({
      ...greedy,
      max_output_tokens: 60,
      input: 'Invent a person.',
      text: {
        format: { type: 'json_schema', name: 'person', schema, strict: true },
      },
    })
    expect(r.status).toBe('completed')
    expect(ajv.validate(schema, JSON.parse(r.output_text))).toBe(true)
  })
})

describe('bad input: OpenAI-shaped 4xx, the server keeps serving', () => {
  const fail = (body: object) =>
    client.responses.create({ ...greedy, input: 'hi', ...body } as never).then(
      () => {
        throw new Error('expected an error')
      },
      (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
    )

  it('wrong types, unknown fields, built-in tools, unknown tools and calls', async () => {
    const wrong = await fail({ max_output_tokens: 'x' })
    expect(wrong).toBeInstanceOf(OpenAI.BadRequestError)
    expect(wrong.param).toBe('max_output_tokens')
    const unknown = await fail({ frobnicate: 1 })
    expect(unknown.param).toBe('frobnicate')
    const builtin = await fail({ tools: [{ type: 'web_search' }] })
    expect(builtin.status).toBe(400)
    expect(builtin.param).toMatch(/^tools\[0\]/)
    const choice = await fail({
      tools,
      tool_choice: { type: 'function', name: 'nope' },
    })
    expect(choice.param).toBe('tool_choice.name')
    const orphan = await fail({
      input: [{ type: 'function_call_output', call_id: 'call_x', output: '1' }],
    })
    expect(orphan.status).toBe(400)
    expect(orphan.message).toContain('call_x')
    const schema = await fail({
      text: {
        format: {
          type: 'json_schema',
          name: 'x',
          schema: { type: 'object', properties: { a: { type: 'nonsense' } } },
        },
      },
    })
    expect(schema.param).toBe('text.format.schema')
  })

  it('an oversized body is a 413; the next request works', async () => {
    const big = await fail({ input: 'x'.repeat(2 * 1024 * 1024) })
    expect(big.status).toBe(413)
    const ok = await client.responses.create({ ...greedy, input: 'hi' })
    expect(ok.output_text.length).toBeGreaterThan(0)
  })

  it('a client that disconnects mid-stream cancels its generation', async () => {
    const before = srv.server.context.generations.snapshot()
    const ac = new AbortController()
    const stream = await client.responses.create(
      {
        model: SMOL_KEY,
        input: 'Write a long story about a dragon.',
        max_output_tokens: 400,
        stream: true,
      },
      { signal: ac.signal },
    )
    for await (const e of stream)
      if (e.type === 'response.output_text.delta') {
        ac.abort()
        break
      }
    await vi.waitFor(
      () => {
        const now = srv.server.context.generations.snapshot()
        expect(now.activeGenerations).toBe(0)
        expect(now.cancelledGenerations).toBe(before.cancelledGenerations + 1)
      },
      { timeout: 30_000 },
    )
  })
})
