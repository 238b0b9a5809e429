// Reasoning through the real HTTP server (fake engine models that reply with
// a scripted text, one character per token, under real Jinja templates):
// `<think>` blocks land in `reasoning_content` (OpenAI, streamed and not) and
// `reasoning` (LM Studio v0); reasoning_tokens counts the tokens inside; the
// reasoning controls reach the template; configured tags are honoured.
import type OpenAI from 'openai'
import { afterAll, describe, expect, it } from 'vitest'
import { startFakeServer } from '../../helpers/fakeServer.ts'
import { readJson } from '../../helpers/readJson.ts'
import {
  type Delta,
  type Message,
  QWEN3_STYLE,
  R1_STYLE,
  serve,
  servers,
  THINK_REPLY,
  THINK_TOKENS,
  user,
} from '../../helpers/reasoningServer.ts'

afterAll(() => Promise.all(servers.map((s) => s.close())))

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
