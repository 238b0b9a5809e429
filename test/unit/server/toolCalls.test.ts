// Tool calls and response_format through the HTTP server over a fake model
// that replies with scripted text (it has no chat template, so calls use the
// generic [TOOL_REQUEST] format): parallel calls non-streamed and streamed
// by index, text before calls kept as content only, the grammar and the
// tool prompt handed to the engine, and plain text when tool_choice is none.
import OpenAI from 'openai'
import { afterEach, describe, expect, it } from 'vitest'
import { startFakeServer } from '../../helpers/fakeServer.ts'

const call = (name: string, args: object) =>
  `[TOOL_REQUEST]${JSON.stringify({ name, arguments: args })}[END_TOOL_REQUEST]`
const PARALLEL = `${call('get_weather', { city: 'Paris' })}\n${call('get_time', { timezone: 'UTC' })}`

const tools: OpenAI.ChatCompletionTool[] = ['get_weather', 'get_time'].map(
  (name) => ({
    type: 'function',
    function: { name, parameters: { type: 'object' } },
  }),
)
const ask = { role: 'user' as const, content: 'Weather and time?' }

let srv: Awaited<ReturnType<typeof startFakeServer>> | undefined
afterEach(() => srv?.close())

async function start(reply: string) {
  srv = await startFakeServer({ modelOptions: { reply, contextLength: 4096 } })
  return new OpenAI({
    baseURL: `${srv.url}/v1`,
    apiKey: 'unused',
    maxRetries: 0,
  })
}

describe('tool calls over HTTP (fake model)', () => {
  it('parallel calls, non-streamed: tool_calls in order, null content', async () => {
    const client = await start(PARALLEL)
    const r = await client.chat.completions.create({
      model: 'tiny-chat',
      messages: [ask],
      tools,
    })
    const message = r.choices[0]?.message
    expect(r.choices[0]?.finish_reason).toBe('tool_calls')
    expect(message?.content).toBeNull()
    expect(
      message?.tool_calls?.map((c) =>
        c.type === 'function' ? [c.function.name, c.function.arguments] : [],
      ),
    ).toEqual([
      ['get_weather', '{"city":"Paris"}'],
      ['get_time', '{"timezone":"UTC"}'],
    ])
    const ids = message?.tool_calls?.map((c) => c.id) ?? []
    expect(new Set(ids).size).toBe(2)
    // The engine got a grammar and the tools taught in a system message.
    const sent = srv?.loaded[0]?.calls[0]
    expect(sent?.options.grammar?.kind).toBe('lark')
    const input = sent?.input as { role: string; content: string }[]
    expect(input[0]?.role).toBe('system')
    expect(input[0]?.content).toContain('get_weather')
  })

  it('parallel calls, streamed: one id + name delta per index, then arguments', async () => {
    const client = await start(`Let me check.${PARALLEL}`)
    const stream = await client.chat.completions.create({
      model: 'tiny-chat',
      messages: [ask],
      tools,
      stream: true,
    })
    let content = ''
    let finish: string | null = null
    const deltas: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[] = []
    for await (const chunk of stream) {
      const c = chunk.choices[0]
      content += c?.delta.content ?? ''
      deltas.push(...(c?.delta.tool_calls ?? []))
      finish = c?.finish_reason ?? finish
    }
    expect(content).toBe('Let me check.')
    expect(finish).toBe('tool_calls')
    for (const index of [0, 1]) {
      const mine = deltas.filter((d) => d.index === index)
      expect(mine[0]?.id).toMatch(/^call_/)
      expect(mine[0]?.function?.name).toBe(
        index === 0 ? 'get_weather' : 'get_time',
      )
      expect(mine.slice(1).every((d) => !d.id && !d.function?.name)).toBe(true)
      const args = mine.map((d) => d.function?.arguments ?? '').join('')
      expect(JSON.parse(args)).toEqual(
        index === 0 ? { city: 'Paris' } : { timezone: 'UTC' },
      )
    }
  })

  it('tool_choice none: no grammar, the text is content', async () => {
    const client = await start('Sunny.')
    const r = await client.chat.completions.create({
      model: 'tiny-chat',
      messages: [ask],
      tools,
      tool_choice: 'none',
    })
    expect(r.choices[0]?.message.content).toBe('Sunny.')
    expect(r.choices[0]?.finish_reason).toBe('stop')
    expect(srv?.loaded[0]?.calls[0]?.options.grammar).toBeUndefined()
  })

  it('response_format json_schema hands the schema to the engine', async () => {
    const client = await start('{"a": 1}')
    const r = await client.chat.completions.create({
      model: 'tiny-chat',
      messages: [ask],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'a',
          strict: true,
          schema: { type: 'object', properties: { a: { type: 'integer' } } },
        },
      },
    })
    expect(r.choices[0]?.message.content).toBe('{"a": 1}')
    const grammar = srv?.loaded[0]?.calls[0]?.options.grammar
    expect(grammar?.kind).toBe('json_schema')
    expect(JSON.parse(grammar?.text ?? '{}').properties).toEqual({
      a: { type: 'integer' },
    })
  })

  it('past assistant tool_calls are written back in the call format', async () => {
    const client = await start('It is sunny.')
    await client.chat.completions.create({
      model: 'tiny-chat',
      messages: [
        ask,
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '{"sky":"sunny"}' },
      ],
    })
    const input = srv?.loaded[0]?.calls[0]?.input as {
      role: string
      content: string
    }[]
    expect(input[1]?.content).toBe(call('get_weather', { city: 'Oslo' }))
    expect(input[2]).toMatchObject({ role: 'tool', tool_call_id: 'call_1' })
  })
})
