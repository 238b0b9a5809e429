// Structured output and tool calling through the HTTP server, with the
// official `openai` client and the real SmolLM2 weights: json_schema (the
// content validates against the schema), json_object, tools with tool_choice
// required / named (arguments validate against the tool's parameters, no
// call text in content, finish_reason tool_calls), OpenAI's streamed
// tool-call deltas, a `tool` message round trip, and 400s naming where and
// why a schema is invalid or unsupported.
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SMOL_KEY, startRealServer } from '../../helpers/realServer.ts'

let srv: Awaited<ReturnType<typeof startRealServer>>
let client: OpenAI
const ajv = new Ajv2020({ strict: false, allErrors: true })
// ajv-formats is CommonJS: its default import is the plugin function.
const addFormats = addFormatsModule as unknown as (a: Ajv2020) => Ajv2020
addFormats(ajv)

const user = (content: string) => ({ role: 'user' as const, content })
const valid = (schema: object, value: unknown) => {
  const validate = ajv.compile(schema)
  if (!validate(value)) throw new Error(ajv.errorsText(validate.errors))
  return true
}

const person = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 20 },
    age: { type: 'integer', minimum: 0, maximum: 120 },
    born: { type: 'string', format: 'date' },
  },
  required: ['name', 'age', 'born'],
  additionalProperties: false,
}
const weatherParams = {
  type: 'object',
  properties: {
    city: { type: 'string', minLength: 1, maxLength: 30 },
    unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
  },
  required: ['city', 'unit'],
  additionalProperties: false,
}
const timeParams = {
  type: 'object',
  properties: { timezone: { type: 'string', maxLength: 30 } },
  required: ['timezone'],
  additionalProperties: false,
}
const tools: OpenAI.ChatCompletionTool[] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Current weather in a city',
      parameters: weatherParams,
    },
  },
  {
    type: 'function',
    function: {
      name: 'get_time',
      description: 'Current time in a timezone',
      parameters: timeParams,
    },
  },
]
const greedy = { model: SMOL_KEY, temperature: 0, max_tokens: 80 }

beforeAll(async () => {
  srv = await startRealServer()
  client = new OpenAI({
    baseURL: `${srv.url}/v1`,
    apiKey: 'unused',
    maxRetries: 0,
    timeout: 600_000,
  })
})
afterAll(() => srv?.close())

describe('response_format', () => {
  it('json_schema strict: the content parses and validates', async () => {
    const r = await client.chat.completions.create({
      ...greedy,
      messages: [user('Invent a person. Reply in JSON.')],
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'person', schema: person, strict: true },
      },
    })
    const choice = r.choices[0]
    expect(choice?.finish_reason).toBe('stop')
    expect(choice?.message.tool_calls).toBeUndefined()
    expect(valid(person, JSON.parse(choice?.message.content ?? ''))).toBe(true)
  })

  it('json_object: the content is a JSON object, streamed ending in [DONE]', async () => {
    const res = await fetch(`${srv.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        ...greedy,
        stream: true,
        messages: [user('Describe a cat as a JSON object with two keys.')],
        response_format: { type: 'json_object' },
      }),
    })
    expect(res.status).toBe(200)
    const frames = (await res.text())
      .split('\n\n')
      .filter(Boolean)
      .map((f) => f.replace(/^data: /, ''))
    expect(frames.at(-1)).toBe('[DONE]')
    const chunks = frames.slice(0, -1).map((f) => JSON.parse(f))
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')
    expect(chunks.at(-1).choices[0].finish_reason).toBe('stop')
    const value = JSON.parse(text)
    expect(typeof value).toBe('object')
    expect(Array.isArray(value)).toBe(false)
  })
})

describe('tools', () => {
  let firstCall: OpenAI.ChatCompletionMessageToolCall | undefined
  const question = user('What is the weather in Paris?')

  it('tool_choice required: tool_calls validate, no content, finish_reason tool_calls', async () => {
    const r = await client.chat.completions.create({
      ...greedy,
      messages: [question],
      tools,
      tool_choice: 'required',
    })
    const choice = r.choices[0]
    expect(choice?.finish_reason).toBe('tool_calls')
    expect(choice?.message.content ?? '').toBe('')
    const calls = choice?.message.tool_calls ?? []
    expect(calls.length).toBeGreaterThanOrEqual(1)
    for (const call of calls) {
      if (call.type !== 'function') throw new Error('not a function call')
      expect(call.id).toMatch(/^call_/)
      const params =
        call.function.name === 'get_time' ? timeParams : weatherParams
      expect(valid(params, JSON.parse(call.function.arguments))).toBe(true)
    }
    firstCall = calls[0]
  })

  it('a named function is the one called', async () => {
    const r = await client.chat.completions.create({
      ...greedy,
      messages: [user('What time is it in Tokyo?')],
      tools,
      tool_choice: { type: 'function', function: { name: 'get_time' } },
    })
    const calls = r.choices[0]?.message.tool_calls ?? []
    expect(calls.length).toBe(1)
    const call = calls[0]
    if (call?.type !== 'function') throw new Error('not a function call')
    expect(call.function.name).toBe('get_time')
    expect(valid(timeParams, JSON.parse(call.function.arguments))).toBe(true)
    expect(r.choices[0]?.finish_reason).toBe('tool_calls')
  })

  it('streams OpenAI tool-call deltas: id + name first, then argument fragments', async () => {
    const stream = await client.chat.completions.create({
      ...greedy,
      messages: [question],
      tools,
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      stream: true,
    })
    const deltas: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[] = []
    let content = ''
    let finish: string | null = null
    for await (const chunk of stream) {
      const c = chunk.choices[0]
      content += c?.delta.content ?? ''
      deltas.push(...(c?.delta.tool_calls ?? []))
      if (c?.finish_reason) finish = c.finish_reason
    }
    expect(content).toBe('')
    expect(finish).toBe('tool_calls')
    const [first, ...rest] = deltas
    expect(first?.index).toBe(0)
    expect(first?.id).toMatch(/^call_/)
    expect(first?.type).toBe('function')
    expect(first?.function?.name).toBe('get_weather')
    expect(rest.length).toBeGreaterThan(0)
    for (const d of rest) {
      expect(d.index).toBe(0)
      expect(d.id).toBeUndefined()
      expect(d.function?.name).toBeUndefined()
    }
    const args = deltas.map((d) => d.function?.arguments ?? '').join('')
    expect(valid(weatherParams, JSON.parse(args))).toBe(true)
  })

  it('a tool message round-trips through the template; the model answers', async () => {
    expect(firstCall).toBeDefined()
    const call = firstCall as OpenAI.ChatCompletionMessageFunctionToolCall
    const r = await client.chat.completions.create({
      ...greedy,
      max_tokens: 48,
      messages: [
        question,
        { role: 'assistant', content: null, tool_calls: [call] },
        {
          role: 'tool',
          tool_call_id: call.id,
          content: JSON.stringify({ sky: 'sunny', celsius: 21 }),
        },
      ],
      tools,
      tool_choice: 'none',
    })
    const choice = r.choices[0]
    expect(choice?.message.tool_calls).toBeUndefined()
    expect(choice?.message.content?.trim().length).toBeGreaterThan(0)
    expect(choice?.message.content).not.toContain('<tool_call>')
    expect(['stop', 'length']).toContain(choice?.finish_reason)
  })

  it('works on LM Studio v0 /api/v0/chat/completions too', async () => {
    const v0 = new OpenAI({
      baseURL: `${srv.url}/api/v0`,
      apiKey: 'unused',
      maxRetries: 0,
      timeout: 600_000,
    })
    const r = await v0.chat.completions.create({
      ...greedy,
      messages: [question],
      tools,
      tool_choice: 'required',
    })
    expect(r.choices[0]?.finish_reason).toBe('tool_calls')
    expect(r.choices[0]?.message.tool_calls?.length).toBeGreaterThan(0)
  })
})

describe('invalid or unsupported schemas are a 400 that says where and why', () => {
  const fail = (body: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming>) =>
    client.chat.completions
      .create({ ...greedy, messages: [user('hi')], ...body })
      .then(
        () => {
          throw new Error('expected a 400')
        },
        (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
      )

  it('a malformed json_schema', async () => {
    const e = await fail({
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'x',
          schema: { type: 'object', properties: { a: { type: 'nonsense' } } },
        },
      },
    })
    expect(e).toBeInstanceOf(OpenAI.BadRequestError)
    expect(e.type).toBe('invalid_request_error')
    expect(e.param).toBe('response_format.json_schema.schema')
    expect(e.message).toContain('/properties/a/type')
  })

  it('a keyword strict mode cannot enforce', async () => {
    const e = await fail({
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'x',
          strict: true,
          schema: {
            type: 'object',
            properties: { a: { type: 'string', not: { const: 'b' } } },
          },
        },
      },
    })
    expect(e.status).toBe(400)
    expect(e.param).toBe('response_format.json_schema.schema')
    expect(e.message).toContain('/properties/a')
    expect(e.message).toContain('"not"')
  })

  it('bad tool parameters and an unknown named tool', async () => {
    const bad = await fail({
      tools: [
        {
          type: 'function',
          function: {
            name: 'f',
            parameters: { type: 'object', properties: { x: { minimum: 'a' } } },
          },
        },
      ],
    })
    expect(bad.status).toBe(400)
    expect(bad.param).toBe('tools[0].function.parameters')
    expect(bad.message).toContain('/properties/x/minimum')
    const unknown = await fail({
      tools,
      tool_choice: { type: 'function', function: { name: 'nope' } },
    })
    expect(unknown.status).toBe(400)
    expect(unknown.param).toBe('tool_choice.function.name')
  })
})
