// The official `openai` npm client against the real HTTP server (fake
// engine models): models, chat, streaming with usage, completions, logprobs.
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeServer } from '../../helpers/fakeServer.ts'

let srv: Awaited<ReturnType<typeof startFakeServer>>
let client: OpenAI

beforeAll(async () => {
  srv = await startFakeServer()
  client = new OpenAI({
    baseURL: `${srv.url}/v1`,
    apiKey: 'unused',
    maxRetries: 0,
  })
})
afterAll(() => srv.close())

describe('openai client', () => {
  it('lists downloaded models (JIT on)', async () => {
    const ids = []
    for await (const m of client.models.list()) ids.push(m.id)
    expect(ids).toEqual(['test/tiny-chat-GGUF', 'test/tiny-embed'])
  })

  it('chat completion, JIT-loading by alias', async () => {
    const r = await client.chat.completions.create({
      model: 'tiny-chat',
      messages: [{ role: 'user', content: 'Hi' }],
    })
    expect(r.object).toBe('chat.completion')
    expect(r.model).toBe('test/tiny-chat-GGUF')
    expect(r.choices[0]?.message).toMatchObject({
      role: 'assistant',
      content: 'Hello there, friend.',
    })
    expect(r.choices[0]?.finish_reason).toBe('stop')
    expect(r.choices[0]?.logprobs).toBeNull()
    expect(r.usage).toMatchObject({
      completion_tokens: 20,
      total_tokens: r.usage!.prompt_tokens + 20,
    })
  })

  it('passes every sampling parameter to the engine', async () => {
    await client.chat.completions.create({
      model: 'test/tiny-chat-GGUF',
      messages: [
        { role: 'developer', content: 'Be brief' },
        { role: 'user', content: 'Hi' },
      ],
      temperature: 0.7,
      top_p: 0.9,
      max_tokens: 5,
      stop: ['x'],
      seed: 42,
      presence_penalty: 0.5,
      frequency_penalty: 0.25,
      logit_bias: { '65': 2 },
      // LM Studio extensions travel as extra body fields.
      ...({ top_k: 40, min_p: 0.05, repeat_penalty: 1.1 } as object),
    })
    const call = srv.loaded[0]!.calls.at(-1)!
    expect(call.options).toMatchObject({
      temperature: 0.7,
      topP: 0.9,
      topK: 40,
      minP: 0.05,
      maxTokens: 5,
      stop: ['x'],
      seed: 42,
      presencePenalty: 0.5,
      frequencyPenalty: 0.25,
      repetitionPenalty: 1.1,
      logitBias: { 65: 2 },
    })
    expect((call.input as { role: string }[])[0]?.role).toBe('system')
  })

  it('max_tokens gives finish_reason length', async () => {
    const r = await client.chat.completions.create({
      model: 'tiny-chat',
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 3,
    })
    expect(r.choices[0]?.message.content).toBe('Hel')
    expect(r.choices[0]?.finish_reason).toBe('length')
  })

  it('streams chunks and a usage chunk', async () => {
    const stream = await client.chat.completions.create({
      model: 'tiny-chat',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
      stream_options: { include_usage: true },
    })
    let text = ''
    let finish: string | null = null
    let usage: OpenAI.CompletionUsage | null | undefined
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ''
      finish = chunk.choices[0]?.finish_reason ?? finish
      if (chunk.usage) usage = chunk.usage
    }
    expect(text).toBe('Hello there, friend.')
    expect(finish).toBe('stop')
    expect(usage?.completion_tokens).toBe(20)
  })

  it('reports cached prompt tokens on a repeated prefix', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'A long shared history' },
    ]
    await client.chat.completions.create({ model: 'tiny-chat', messages })
    const r = await client.chat.completions.create({
      model: 'tiny-chat',
      messages: [
        ...messages,
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'more' },
      ],
    })
    expect(r.usage?.prompt_tokens_details?.cached_tokens).toBeGreaterThan(20)
  })

  it('returns logprobs with top_logprobs', async () => {
    const r = await client.chat.completions.create({
      model: 'tiny-chat',
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 2,
      logprobs: true,
      top_logprobs: 2,
    })
    const content = r.choices[0]?.logprobs?.content
    expect(content).toHaveLength(2)
    expect(content?.[0]).toMatchObject({
      token: 'H',
      logprob: -0.5,
      bytes: [72],
    })
    expect(content?.[0]?.top_logprobs).toHaveLength(2)
  })

  it('text completion without a template', async () => {
    const r = await client.completions.create({
      model: 'tiny-chat',
      prompt: 'Once upon',
      max_tokens: 4,
      logprobs: 1,
    })
    expect(r.object).toBe('text_completion')
    expect(r.choices[0]?.text).toBe('Hell')
    expect(r.choices[0]?.logprobs?.tokens).toEqual(['H', 'e', 'l', 'l'])
    const call = srv.loaded[0]!.calls.at(-1)!
    expect(call.input).toBe('Once upon')
    expect(call.options.raw).toBe(true)
  })

  it('streams a text completion', async () => {
    const stream = await client.completions.create({
      model: 'tiny-chat',
      prompt: 'x',
      stream: true,
      max_tokens: 5,
    })
    let text = ''
    for await (const c of stream) text += c.choices[0]?.text ?? ''
    expect(text).toBe('Hello')
  })

  it('maps errors to APIError with status and code', async () => {
    const err = await client.chat.completions
      .create({
        model: 'nope/missing',
        messages: [{ role: 'user', content: 'x' }],
      })
      .catch((e) => e)
    expect(err).toBeInstanceOf(OpenAI.NotFoundError)
    expect(err.code).toBe('model_not_found')
  })
})
