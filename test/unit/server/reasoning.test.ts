// Reasoning through the real HTTP server (fake engine models that reply with
// a scripted text, one character per token, under real Jinja templates):
// `<think>` blocks and Harmony channels land in `reasoning_content` (OpenAI,
// streamed and not), `reasoning` (LM Studio v0) and `reasoning` output items
// and events (v1); reasoning_tokens counts the tokens inside; the reasoning
// controls reach the template.
import OpenAI from 'openai'
import { afterAll, describe, expect, it } from 'vitest'
import { startFakeServer } from '../../helpers/fakeServer.ts'
import { readJson } from '../../helpers/readJson.ts'

// Small templates in each family's style (written for these tests).
const QWEN3_STYLE =
  "{%- for m in messages %}{{ '<|im_start|>' + m.role + '\\n' }}{% if m.reasoning_content %}{{ '<think>\\n' + m.reasoning_content + '\\n</think>\\n\\n' }}{% endif %}{{ m.content + '<|im_end|>\\n' }}{%- endfor %}{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- if enable_thinking is defined and enable_thinking is false %}{{ '<think>\\n\\n</think>\\n\\n' }}{%- endif %}{%- endif %}"
const R1_STYLE =
  "{%- for m in messages %}{{ '<|' + m.role + '|>' + m.content }}{%- endfor %}{%- if add_generation_prompt %}{{ '<|Assistant|><think>\\n' }}{%- endif %}"
const HARMONY_STYLE =
  "{{ '<|start|>system<|message|>Reasoning: ' + (reasoning_effort if reasoning_effort is defined else 'medium') + '<|end|>' }}{%- if tools %}{{ '<|start|>developer<|message|>namespace functions {' }}{%- for t in tools %}{{ ' type ' + t.function.name + ';' }}{%- endfor %}{{ ' }<|end|>' }}{%- endif %}{%- for m in messages %}{%- if m.role == 'assistant' %}{{ '<|start|>assistant<|channel|>final<|message|>' + m.content + '<|end|>' }}{%- else %}{{ '<|start|>' + m.role + '<|message|>' + m.content + '<|end|>' }}{%- endif %}{%- endfor %}{%- if add_generation_prompt %}<|start|>assistant{%- endif %}"

const THINK_REPLY = '<think>\nI should greet.\n</think>\n\nHello!'
// One character per token: the reasoning span is the block, tags included.
const THINK_TOKENS = THINK_REPLY.indexOf('</think>') + '</think>'.length

const servers: { close: () => Promise<void> }[] = []
afterAll(() => Promise.all(servers.map((s) => s.close())))

async function serve(reply: string, template?: string) {
  const srv = await startFakeServer({ modelOptions: { reply, template } })
  servers.push(srv)
  const client = new OpenAI({
    baseURL: `${srv.url}/v1`,
    apiKey: 'unused',
    maxRetries: 0,
  })
  const post = (path: string, body: unknown) =>
    fetch(`${srv.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  return { srv, client, post }
}

type Message = OpenAI.ChatCompletionMessage & {
  reasoning_content?: string
  reasoning?: string
}
type Delta = { content?: string | null; reasoning_content?: string }
const user = [{ role: 'user' as const, content: 'Hi' }]

describe('<think> reasoning (Qwen3 / DeepSeek-R1 style)', () => {
  it('non-streamed: reasoning_content, content and reasoning_tokens', async () => {
    const { client } = await serve(THINK_REPLY, QWEN3_STYLE)
    const r = await client.chat.completions.create({
      model: 'tiny-chat',
      messages: user,
    })
    const message = r.choices[0]?.message as Message
    expect(message.reasoning_content).toBe('I should greet.')
    expect(message.content).toBe('Hello!')
    expect(r.usage?.completion_tokens).toBe(THINK_REPLY.length)
    expect(r.usage?.completion_tokens_details?.reasoning_tokens).toBe(
      THINK_TOKENS,
    )
  })

  it('streamed: reasoning deltas first, then content; same usage', async () => {
    const { client } = await serve(THINK_REPLY, QWEN3_STYLE)
    const stream = await client.chat.completions.create({
      model: 'tiny-chat',
      messages: user,
      stream: true,
      stream_options: { include_usage: true },
    })
    const kinds: string[] = []
    let reasoning = ''
    let content = ''
    let usage: OpenAI.CompletionUsage | undefined
    for await (const c of stream) {
      const d = c.choices[0]?.delta as Delta | undefined
      if (d?.reasoning_content) {
        reasoning += d.reasoning_content
        kinds.push('r')
      }
      if (d?.content) {
        content += d.content
        kinds.push('c')
      }
      if (c.usage) usage = c.usage
    }
    expect(reasoning).toBe('I should greet.')
    expect(content).toBe('Hello!')
    // Streamed token by token, never mixed.
    expect(kinds.join('')).toMatch(/^r{2,}c{2,}$/)
    expect(usage?.completion_tokens_details?.reasoning_tokens).toBe(
      THINK_TOKENS,
    )
  })

  it('no reasoning: no reasoning_content, reasoning_tokens 0', async () => {
    const { client } = await serve('Just an answer.', QWEN3_STYLE)
    const r = await client.chat.completions.create({
      model: 'tiny-chat',
      messages: user,
    })
    expect(r.choices[0]?.message).not.toHaveProperty('reasoning_content')
    expect(r.choices[0]?.message.content).toBe('Just an answer.')
    expect(r.usage?.completion_tokens_details?.reasoning_tokens).toBe(0)
  })

  it('a template that opens <think> in the prompt: the reply starts inside', async () => {
    const reply = 'The capital is Paris.\n</think>\n\nParis.'
    const { client } = await serve(reply, R1_STYLE)
    const r = await client.chat.completions.create({
      model: 'tiny-chat',
      messages: user,
    })
    const message = r.choices[0]?.message as Message
    expect(message.reasoning_content).toBe('The capital is Paris.')
    expect(message.content).toBe('Paris.')
    expect(r.usage?.completion_tokens_details?.reasoning_tokens).toBe(
      reply.indexOf('</think>') + '</think>'.length,
    )
  })

  it('reasoning cut by max_tokens is all reasoning, content empty', async () => {
    const { client } = await serve(THINK_REPLY, QWEN3_STYLE)
    const r = await client.chat.completions.create({
      model: 'tiny-chat',
      messages: user,
      max_tokens: 12,
    })
    const message = r.choices[0]?.message as Message
    // '<think>\n' + 'I sh' = 12 tokens.
    expect(message.reasoning_content).toBe('I sh')
    expect(message.content).toBe('')
    expect(r.choices[0]?.finish_reason).toBe('length')
    expect(r.usage?.completion_tokens_details?.reasoning_tokens).toBe(12)
  })

  it('reasoning_format "none" keeps the block in the content', async () => {
    const { client } = await serve(THINK_REPLY, QWEN3_STYLE)
    const r = await client.chat.completions.create({
      model: 'tiny-chat',
      messages: user,
      ...({ reasoning_format: 'none' } as object),
    })
    expect(r.choices[0]?.message.content).toBe(THINK_REPLY)
    expect(r.choices[0]?.message).not.toHaveProperty('reasoning_content')
  })

  it('LM Studio v0 says `reasoning`', async () => {
    const { post } = await serve(THINK_REPLY, QWEN3_STYLE)
    const body = await readJson(
      await post('/api/v0/chat/completions', {
        model: 'tiny-chat',
        messages: user,
      }),
    )
    expect(body.choices[0].message).toMatchObject({
      content: 'Hello!',
      reasoning: 'I should greet.',
    })
    expect(body.choices[0].message).not.toHaveProperty('reasoning_content')
  })

  it('reasoning_effort and chat_template_kwargs reach the template', async () => {
    const { client, srv } = await serve('Hi.', QWEN3_STYLE)
    const ask = (extra: object) =>
      client.chat.completions.create({
        model: 'tiny-chat',
        messages: user,
        ...extra,
      })
    const plain = await ask({})
    const off = await ask({
      ...({ chat_template_kwargs: { enable_thinking: false } } as object),
    })
    // The template wrote its empty think block into the prompt.
    expect(
      (off.usage?.prompt_tokens ?? 0) - (plain.usage?.prompt_tokens ?? 0),
    ).toBe('<think>\n\n</think>\n\n'.length)
    await ask({
      reasoning_effort: 'high',
      ...({ chat_template_kwargs: { custom_flag: 1 } } as object),
    })
    expect(srv.loaded[0]?.calls.at(-1)?.options.templateContext).toEqual({
      reasoning_effort: 'high',
      custom_flag: 1,
    })
    // "none" turns enable_thinking off unless the kwargs say otherwise.
    const none = await ask({ reasoning_effort: 'none' })
    expect(none.usage?.prompt_tokens).toBe(off.usage?.prompt_tokens)
    await ask({
      reasoning_effort: 'none',
      ...({ chat_template_kwargs: { enable_thinking: true } } as object),
    })
    expect(srv.loaded[0]?.calls.at(-1)?.options.templateContext).toEqual({
      reasoning_effort: 'none',
      enable_thinking: true,
    })
  })

  it("a past turn's reasoning_content reaches the template", async () => {
    const { client } = await serve('Hi.', QWEN3_STYLE)
    const history = (reasoning?: string) =>
      client.chat.completions.create({
        model: 'tiny-chat',
        messages: [
          ...user,
          {
            role: 'assistant',
            content: 'Hello!',
            ...(reasoning ? { reasoning_content: reasoning } : {}),
          } as OpenAI.ChatCompletionAssistantMessageParam,
          { role: 'user', content: 'Again' },
        ],
      })
    const without = await history()
    const with_ = await history('abc')
    expect(
      (with_.usage?.prompt_tokens ?? 0) - (without.usage?.prompt_tokens ?? 0),
    ).toBe('<think>\nabc\n</think>\n\n'.length)
  })

  it('chat_template_kwargs may not replace the messages', async () => {
    const { post } = await serve('Hi.', QWEN3_STYLE)
    const res = await post('/v1/chat/completions', {
      model: 'tiny-chat',
      messages: user,
      chat_template_kwargs: { messages: [] },
    })
    expect(res.status).toBe(400)
    expect((await readJson(res)).error.param).toBe(
      'chat_template_kwargs.messages',
    )
  })
})

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

describe('configured reasoning tags', () => {
  it('the server splits on the tags it is given', async () => {
    const srv = await startFakeServer({
      reasoningTags: { open: '<reasoning>', close: '</reasoning>' },
      modelOptions: { reply: '<reasoning>plan</reasoning>answer' },
    })
    servers.push(srv)
    const body = await readJson(
      await fetch(`${srv.url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: 'tiny-chat', messages: user }),
      }),
    )
    expect(body.choices[0].message).toMatchObject({
      reasoning_content: 'plan',
      content: 'answer',
    })
  })
})
