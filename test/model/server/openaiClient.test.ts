// The official `openai` npm client against the real server running the real
// SmolLM2 weights: models, chat, streaming, completions, logprobs, seeds,
// prefix-cache reuse in usage, context overflow, and disconnect-cancel.
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { SMOL_KEY, startRealServer } from '../../helpers/realServer.ts'

let srv: Awaited<ReturnType<typeof startRealServer>>
let client: OpenAI
const user = (content: string) => ({ role: 'user' as const, content })

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

describe('real SmolLM2 behind the OpenAI API', () => {
  it('lists the cached model and JIT-loads it by alias', async () => {
    const ids = (await client.models.list()).data.map((m) => m.id)
    expect(ids).toContain(SMOL_KEY)
    const r = await client.chat.completions.create({
      model: 'smollm2-135m-instruct',
      messages: [user('What is the capital of France?')],
      max_tokens: 6,
      temperature: 0,
    })
    expect(r.model).toBe(SMOL_KEY)
    expect(r.choices[0]?.message.content?.length).toBeGreaterThan(0)
    expect(r.choices[0]?.finish_reason).toBe('length')
    expect(r.usage?.completion_tokens).toBe(6)
    expect(r.usage?.prompt_tokens).toBeGreaterThan(10)
  })

  it('streams the same greedy text as the non-streamed answer', async () => {
    const req = {
      model: SMOL_KEY,
      messages: [user('Name a color.')],
      max_tokens: 6,
      temperature: 0,
    }
    const whole = await client.chat.completions.create(req)
    const stream = await client.chat.completions.create({
      ...req,
      stream: true,
      stream_options: { include_usage: true },
    })
    let text = ''
    let usage: OpenAI.CompletionUsage | undefined
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? ''
      if (c.usage) usage = c.usage
    }
    expect(text).toBe(whole.choices[0]?.message.content)
    expect(usage?.completion_tokens).toBe(6)
  })

  it('reuses the prefix cache across turns (cached_tokens)', async () => {
    const history = [user('Tell me about cats in one sentence.')]
    const first = await client.chat.completions.create({
      model: SMOL_KEY,
      messages: history,
      max_tokens: 4,
      temperature: 0,
    })
    const second = await client.chat.completions.create({
      model: SMOL_KEY,
      messages: [
        ...history,
        { role: 'assistant', content: first.choices[0]?.message.content ?? '' },
        user('And dogs?'),
      ],
      max_tokens: 4,
      temperature: 0,
    })
    expect(
      second.usage?.prompt_tokens_details?.cached_tokens,
    ).toBeGreaterThanOrEqual((first.usage?.prompt_tokens ?? 0) - 2)
  })

  it('seeded sampling repeats; logprobs come back', async () => {
    const req = {
      model: SMOL_KEY,
      messages: [user('Write a word.')],
      max_tokens: 5,
      temperature: 0.9,
      seed: 1234,
    }
    const a = await client.chat.completions.create(req)
    const b = await client.chat.completions.create(req)
    expect(a.choices[0]?.message.content).toBe(b.choices[0]?.message.content)
    const lp = await client.chat.completions.create({
      ...req,
      temperature: 0,
      logprobs: true,
      top_logprobs: 3,
    })
    const content = lp.choices[0]?.logprobs?.content ?? []
    expect(content).toHaveLength(5)
    for (const t of content) {
      expect(t.logprob).toBeLessThanOrEqual(0)
      expect(t.top_logprobs).toHaveLength(3)
    }
  })

  it('text completion applies no template', async () => {
    const r = await client.completions.create({
      model: SMOL_KEY,
      prompt: 'The sky is',
      max_tokens: 4,
      temperature: 0,
    })
    expect(r.object).toBe('text_completion')
    expect(r.choices[0]?.text.length).toBeGreaterThan(0)
    expect(r.usage?.prompt_tokens).toBeLessThan(6)
  })

  it('context overflow is a 400 with both numbers', async () => {
    const loaded = await fetch(`${srv.url}/api/v1/models/load`, {
      method: 'POST',
      body: JSON.stringify({
        model: SMOL_KEY,
        context_length: 64,
        identifier: 'smol-64',
      }),
    })
    expect(loaded.status).toBe(200)
    const err = await client.chat.completions
      .create({
        model: 'smol-64',
        messages: [user('word '.repeat(100))],
        max_tokens: 4,
      })
      .catch((e) => e)
    expect(err).toBeInstanceOf(OpenAI.BadRequestError)
    expect(err.code).toBe('context_length_exceeded')
    expect(err.message).toMatch(/64 tokens.*1\d\d prompt tokens/)
    await fetch(`${srv.url}/api/v1/models/unload`, {
      method: 'POST',
      body: JSON.stringify({ instance_id: 'smol-64' }),
    })
  })

  it('embeddings on a chat model is a clear 400', async () => {
    const err = await client.embeddings
      .create({ model: SMOL_KEY, input: 'hi' })
      .catch((e) => e)
    expect(err).toBeInstanceOf(OpenAI.BadRequestError)
    expect(err.message).toContain('not an embedding model')
  })

  it('a client that disconnects mid-stream cancels its generation', async () => {
    const ac = new AbortController()
    const stream = await client.chat.completions.create(
      {
        model: SMOL_KEY,
        messages: [user('Write a long story.')],
        max_tokens: 400,
        stream: true,
      },
      { signal: ac.signal },
    )
    for await (const _ of stream) {
      ac.abort()
      break
    }
    const residency = srv.server.context.residency
    await vi.waitFor(
      () => expect(residency.find(SMOL_KEY)?.activeRequests).toBe(0),
      { timeout: 30_000 },
    )
    // The engine sees the cancel flag at its next step: the native
    // generation ends shortly after the request does.
    const model = residency.find(SMOL_KEY)?.model as unknown as {
      activeGenerations: number
    }
    await vi.waitFor(() => expect(model.activeGenerations).toBe(0), {
      timeout: 30_000,
    })
  })
})
