// Reasoning through the real HTTP server, continued: gpt-oss Harmony
// channels (reasoning, content and tool calls) and LM Studio's /api/v1/chat
// (reasoning output items, reasoning.* events, the `reasoning` setting).
import type OpenAI from 'openai'
import { afterAll, describe, expect, it } from 'vitest'
import { readJson } from '../../helpers/readJson.ts'
import {
  HARMONY_STYLE,
  type Message,
  QWEN3_STYLE,
  serve,
  servers,
  THINK_REPLY,
  THINK_TOKENS,
  user,
} from '../../helpers/reasoningServer.ts'

afterAll(() => Promise.all(servers.map((s) => s.close())))

const HARMONY_REPLY =
  '<|channel|>analysis<|message|>Simple greeting.<|end|><|start|>assistant<|channel|>final<|message|>Hello!'

describe('gpt-oss Harmony channels', () => {
  it('analysis is reasoning, final is content; the markers are kept and <|call|> stops', async () => {
    const { client, srv } = await serve(HARMONY_REPLY, HARMONY_STYLE)
    const r = await client.chat.completions.create({
      model: 'tiny-chat',
      messages: user,
      reasoning_effort: 'low',
    })
    const message = r.choices[0]?.message as Message
    expect(message.reasoning_content).toBe('Simple greeting.')
    expect(message.content).toBe('Hello!')
    expect(r.usage?.completion_tokens_details?.reasoning_tokens).toBe(
      HARMONY_REPLY.indexOf('<|end|>') + '<|end|>'.length,
    )
    const options = srv.loaded[0]?.calls.at(-1)?.options
    expect(options?.keepSpecialTokens).toContain('<|channel|>')
    expect(options?.stopTokens).toEqual(['<|return|>', '<|call|>'])
    expect(options?.templateContext).toEqual({ reasoning_effort: 'low' })
  })

  const CALL_REPLY =
    '<|channel|>analysis<|message|>Need the weather.<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city":"Paris"}'
  const tools: OpenAI.ChatCompletionTool[] = [
    {
      type: 'function',
      function: {
        name: 'get_weather',
        parameters: {
          type: 'object',
          properties: { city: { type: 'string' } },
        },
      },
    },
  ]

  it('a function call becomes tool_calls, streamed and not', async () => {
    const { client } = await serve(CALL_REPLY, HARMONY_STYLE)
    const r = await client.chat.completions.create({
      model: 'tiny-chat',
      messages: user,
      tools,
    })
    const choice = r.choices[0]
    expect(choice?.finish_reason).toBe('tool_calls')
    expect((choice?.message as Message | undefined)?.reasoning_content).toBe(
      'Need the weather.',
    )
    expect(choice?.message.content).toBeNull()
    expect(choice?.message.tool_calls).toEqual([
      {
        id: expect.stringMatching(/^call_/),
        type: 'function',
        function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
      },
    ])
    const stream = await client.chat.completions.create({
      model: 'tiny-chat',
      messages: user,
      tools,
      stream: true,
    })
    let args = ''
    let name = ''
    let finish: string | null | undefined
    for await (const c of stream) {
      const call = c.choices[0]?.delta.tool_calls?.[0]
      name += call?.function?.name ?? ''
      args += call?.function?.arguments ?? ''
      finish = c.choices[0]?.finish_reason ?? finish
    }
    expect({ name, args, finish }).toEqual({
      name: 'get_weather',
      args: '{"city":"Paris"}',
      finish: 'tool_calls',
    })
  })

  it('what a grammar cannot enforce on Harmony is a 400 naming it', async () => {
    const { post } = await serve(CALL_REPLY, HARMONY_STYLE)
    const required = await post('/v1/chat/completions', {
      model: 'tiny-chat',
      messages: user,
      tools,
      tool_choice: 'required',
    })
    expect(required.status).toBe(400)
    expect((await readJson(required)).error.param).toBe('tool_choice')
    const json = await post('/v1/chat/completions', {
      model: 'tiny-chat',
      messages: user,
      response_format: { type: 'json_object' },
    })
    expect(json.status).toBe(400)
    expect((await readJson(json)).error.param).toBe('response_format')
  })
})

describe('LM Studio /api/v1/chat', () => {
  it('reasoning output item, reasoning_output_tokens, and the thread keeps it', async () => {
    const { post } = await serve(THINK_REPLY, QWEN3_STYLE)
    const body = await readJson(
      await post('/api/v1/chat', { model: 'tiny-chat', input: 'Hi' }),
    )
    expect(body.output).toEqual([
      { type: 'reasoning', content: 'I should greet.' },
      { type: 'message', content: 'Hello!' },
    ])
    expect(body.stats.reasoning_output_tokens).toBe(THINK_TOKENS)
    expect(body.stats.total_output_tokens).toBe(THINK_REPLY.length)
  })

  it('streams reasoning.* events before message.*', async () => {
    const { post } = await serve(THINK_REPLY, QWEN3_STYLE)
    const text = await (
      await post('/api/v1/chat', {
        model: 'tiny-chat',
        input: 'Hi',
        stream: true,
      })
    ).text()
    const events = [...text.matchAll(/^event: (.+)$/gm)].map((m) => m[1])
    const squeezed = events.filter((e, i) => e !== events[i - 1])
    expect(squeezed.slice(squeezed.indexOf('reasoning.start'))).toEqual([
      'reasoning.start',
      'reasoning.delta',
      'reasoning.end',
      'message.start',
      'message.delta',
      'message.end',
      'chat.end',
    ])
    const reasoning = [
      ...text.matchAll(/"type":"reasoning\.delta","content":"([^"]*)"/g),
    ]
      .map((m) => m[1])
      .join('')
    expect(reasoning).toBe('I should greet.')
  })

  it('the reasoning setting maps onto the template, or is a 400', async () => {
    const { post, srv } = await serve('Hi.', QWEN3_STYLE)
    const ask = (reasoning: string) =>
      post('/api/v1/chat', { model: 'tiny-chat', input: 'Hi', reasoning })
    expect((await ask('off')).status).toBe(200)
    expect(srv.loaded[0]?.calls.at(-1)?.options.templateContext).toEqual({
      enable_thinking: false,
    })
    expect((await ask('on')).status).toBe(200)
    expect(srv.loaded[0]?.calls.at(-1)?.options.templateContext).toEqual({
      enable_thinking: true,
    })
    const harmony = await serve('Hi.', HARMONY_STYLE)
    const low = await harmony.post('/api/v1/chat', {
      model: 'tiny-chat',
      input: 'Hi',
      reasoning: 'low',
    })
    expect(low.status).toBe(200)
    expect(
      harmony.srv.loaded[0]?.calls.at(-1)?.options.templateContext,
    ).toEqual({ reasoning_effort: 'low' })
    const off = await harmony.post('/api/v1/chat', {
      model: 'tiny-chat',
      input: 'Hi',
      reasoning: 'off',
    })
    expect(off.status).toBe(400)
    expect((await readJson(off)).error).toMatchObject({
      param: 'reasoning',
      message: expect.stringContaining('cannot turn its reasoning off'),
    })
    const plain = await serve('Hi.')
    const on = await plain.post('/api/v1/chat', {
      model: 'tiny-chat',
      input: 'Hi',
      reasoning: 'on',
    })
    expect(on.status).toBe(400)
    expect((await readJson(on)).error.message).toContain('does not reason')
  })
})
