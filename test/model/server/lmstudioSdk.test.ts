// LM Studio's own SDK (`@lmstudio/sdk` 1.5.0, unchanged) against the real
// server over its websocket protocol, with the real SmolLM2 and MiniLM
// weights: listDownloadedModels, llm.model() with load progress,
// getContextLength / getModelInfo / tokenize / countTokens /
// applyPromptTemplate, respond (the same greedy text as chat completions,
// streamed fragments, stats), structured output from a zod schema, act()
// with a tool, complete(), cancel, embed, unload; plus the raw protocol
// (auth packet, rpcError, communicationWarning) and bad input.
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Chat, LMStudioClient, tool } from '@lmstudio/sdk'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { WebSocket } from 'ws'
import { z } from 'zod/v3'
import { MINILM_KEY, MINILM_REV, minilmPath } from '../../helpers/minilm.ts'
import { SMOL_KEY, startRealServer } from '../../helpers/realServer.ts'

let srv: Awaited<ReturnType<typeof startRealServer>>
let client: LMStudioClient
let openai: OpenAI
const wsUrl = () => srv.url.replace(/^http/, 'ws')

beforeAll(async () => {
  srv = await startRealServer({}, async (hub) => {
    const repo = join(hub, 'models--sentence-transformers--all-MiniLM-L6-v2')
    await mkdir(join(repo, 'snapshots'), { recursive: true })
    await mkdir(join(repo, 'refs'), { recursive: true })
    await writeFile(join(repo, 'refs', 'main'), MINILM_REV)
    await symlink(minilmPath(), join(repo, 'snapshots', MINILM_REV))
  })
  client = new LMStudioClient({ baseUrl: wsUrl(), verboseErrorMessages: false })
  openai = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: 'x', maxRetries: 0 })
})
afterAll(() => srv?.close())

describe('system and model handles', () => {
  it('GET /lmstudio-greeting says it is an LM Studio server', async () => {
    const res = await fetch(`${srv.url}/lmstudio-greeting`)
    expect(await res.json()).toEqual({ lmstudio: true })
  })

  it('listDownloadedModels lists the LLM and the embedding model', async () => {
    const models = await client.system.listDownloadedModels()
    const smol = models.find((m) => m.modelKey === SMOL_KEY)
    expect(smol).toMatchObject({
      type: 'llm',
      format: 'gguf',
      architecture: 'llama',
      quantization: { name: 'Q4_1', bits: 4 },
      vision: false,
      maxContextLength: 8192,
    })
    expect(models.find((m) => m.modelKey === MINILM_KEY)?.type).toBe(
      'embedding',
    )
  })

  it('llm.model() loads with progress; info, context, tokens and template', async () => {
    const progress: number[] = []
    const model = await client.llm.model(SMOL_KEY, {
      verbose: false,
      onProgress: (p) => progress.push(p),
    })
    // The weight loader's progress while it reads, not just 0 and 1.
    expect(progress[0]).toBe(0)
    expect(progress.at(-1)).toBe(1)
    expect(progress.filter((p) => p > 0 && p < 1).length).toBeGreaterThan(2)
    expect(progress).toEqual([...progress].sort((a, b) => a - b))
    expect(model.identifier).toBe(SMOL_KEY)
    expect(await model.getContextLength()).toBe(8192)
    const info = await model.getModelInfo()
    expect(info).toMatchObject({ modelKey: SMOL_KEY, contextLength: 8192 })
    const tokens = await model.tokenize('Hello world')
    expect(tokens.length).toBeGreaterThan(1)
    expect(await model.countTokens('Hello world')).toBe(tokens.length)
    const prompt = await model.applyPromptTemplate(
      Chat.from([{ role: 'user', content: 'Hi there' }]),
    )
    expect(prompt).toContain('<|im_start|>user\nHi there<|im_end|>')
    expect(prompt.endsWith('<|im_start|>assistant\n')).toBe(true)
    // A second model() finds it loaded.
    const again = await client.llm.model(SMOL_KEY, { verbose: false })
    expect(again.identifier).toBe(SMOL_KEY)
    expect((await client.llm.listLoaded()).map((m) => m.identifier)).toEqual([
      SMOL_KEY,
    ])
  })
})

describe('predictions', () => {
  it('respond: the same greedy text as chat completions, streamed as fragments', async () => {
    const model = await client.llm.model(SMOL_KEY, { verbose: false })
    const prompt: number[] = []
    const prediction = model.respond(
      [{ role: 'user', content: 'Name three colors.' }],
      {
        maxTokens: 10,
        temperature: 0,
        onPromptProcessingProgress: (p) => prompt.push(p),
      },
    )
    let streamed = ''
    for await (const f of prediction) streamed += f.content
    const result = await prediction.result()
    const chat = await openai.chat.completions.create({
      model: SMOL_KEY,
      messages: [{ role: 'user', content: 'Name three colors.' }],
      max_tokens: 10,
      temperature: 0,
    })
    expect(result.content).toBe(chat.choices[0]?.message.content)
    expect(streamed).toBe(result.content)
    expect(result.stats.stopReason).toBe('maxPredictedTokensReached')
    expect(result.stats.predictedTokensCount).toBe(10)
    expect(result.stats.promptTokensCount).toBe(chat.usage?.prompt_tokens)
    expect(result.modelInfo.identifier).toBe(SMOL_KEY)
    expect(prompt).toEqual([0, 1]) // one prefill chunk
  })

  it('onPromptProcessingProgress: a value per prefill chunk of a long prompt', async () => {
    const model = await client.llm.model(SMOL_KEY, { verbose: false })
    const prompt: number[] = []
    let firstTokenAt = -1
    // ~600 tokens: three prefill chunks of at most 256 tokens.
    const text = `${'The river bends twice before the old mill. '.repeat(60)}Why?`
    const prediction = model.respond([{ role: 'user', content: text }], {
      maxTokens: 2,
      temperature: 0,
      onPromptProcessingProgress: (p) => prompt.push(p),
      onFirstToken: () => {
        firstTokenAt = prompt.length
      },
    })
    const result = await prediction.result()
    expect(result.stats.promptTokensCount).toBeGreaterThan(512)
    expect(prompt[0]).toBe(0)
    expect(prompt.at(-1)).toBe(1)
    expect(prompt.filter((p) => p > 0 && p < 1).length).toBeGreaterThanOrEqual(
      2,
    )
    expect(prompt).toEqual([...prompt].sort((a, b) => a - b))
    // All progress arrived before the first token.
    expect(firstTokenAt).toBe(prompt.length)
  })

  it('structured output from a zod schema parses', async () => {
    const model = await client.llm.model(SMOL_KEY, { verbose: false })
    const Person = z.object({
      name: z.string().max(20),
      age: z.number().int().min(0).max(120),
    })
    const result = await model.respond('Invent a person.', {
      structured: Person,
      maxTokens: 60,
      temperature: 0,
    })
    expect(Person.parse(result.parsed)).toEqual(result.parsed)
    expect(result.stats.stopReason).toBe('eosFound')
  })

  it('act() calls a tool and feeds its result back', async () => {
    const model = await client.llm.model(SMOL_KEY, { verbose: false })
    const calls: { city: string }[] = []
    const getWeather = tool({
      name: 'get_weather',
      description: 'Current weather in a city',
      parameters: { city: z.string() },
      implementation: ({ city }) => {
        calls.push({ city })
        return { city, sky: 'sunny', celsius: 21 }
      },
    })
    const roles: string[] = []
    const names: string[] = []
    const result = await model.act(
      'What is the weather in Paris?',
      [getWeather],
      {
        temperature: 0,
        maxTokens: 80,
        maxPredictionRounds: 2,
        onMessage: (m) => roles.push(m.getRole()),
        onToolCallRequestNameReceived: (_round, _id, name) => names.push(name),
        // SmolLM2-135M never picks a tool on its own; newer SDKs send this
        // key as `toolChoice: "required"` (1.5.0 can only pass it raw).
        raw: {
          fields: [
            {
              key: 'llm.prediction.toolChoice',
              value: { type: 'generic', mode: 'required' },
            },
          ],
        },
      },
    )
    expect(calls.length).toBeGreaterThanOrEqual(1)
    expect(typeof calls[0]?.city).toBe('string')
    expect(names[0]).toBe('get_weather')
    expect(result.rounds).toBe(2)
    expect(roles.slice(0, 3)).toEqual(['assistant', 'tool', 'assistant'])
  })

  it('complete() runs the raw prompt; cancel() stops with userStopped', async () => {
    const model = await client.llm.model(SMOL_KEY, { verbose: false })
    const done = await model.complete('The capital of France is', {
      maxTokens: 4,
      temperature: 0,
    })
    const raw = await openai.completions.create({
      model: SMOL_KEY,
      prompt: 'The capital of France is',
      max_tokens: 4,
      temperature: 0,
    })
    expect(done.content).toBe(raw.choices[0]?.text)
    const before = srv.server.context.generations.snapshot()
    const prediction = model.respond('Write a long story about a dragon.', {
      maxTokens: 400,
    })
    for await (const _ of prediction) {
      await prediction.cancel()
      break
    }
    const result = await prediction.result()
    expect(result.stats.stopReason).toBe('userStopped')
    expect(result.stats.predictedTokensCount ?? 0).toBeLessThan(400)
    await vi.waitFor(() =>
      expect(
        srv.server.context.generations.snapshot().cancelledGenerations,
      ).toBe(before.cancelledGenerations + 1),
    )
  })
})

describe('embeddings and unload', () => {
  it('embedding.model().embed() equals /v1/embeddings', async () => {
    const model = await client.embedding.model(MINILM_KEY, { verbose: false })
    const { embedding } = await model.embed('hello world')
    expect(embedding).toHaveLength(384)
    const http = await openai.embeddings.create({
      model: MINILM_KEY,
      input: 'hello world',
    })
    const ref = http.data[0]?.embedding ?? []
    for (const [i, v] of embedding.entries())
      expect(v).toBeCloseTo(ref[i] as number, 5)
    const many = await model.embed(['a', 'b'])
    expect(many).toHaveLength(2)
  })

  it('unload removes the instance; a stale handle then fails clearly', async () => {
    const model = await client.llm.model(SMOL_KEY, { verbose: false })
    await client.llm.unload(model.identifier)
    expect(await client.llm.listLoaded()).toEqual([])
    await expect(
      model.respond('hi', { maxTokens: 2 }).result(),
    ).rejects.toThrow(/no longer loaded/)
    await expect(
      client.llm.model('no/such-model', { verbose: false }),
    ).rejects.toThrow(/not found/i)
    await expect(
      client.llm.model(MINILM_KEY, { verbose: false }),
    ).rejects.toThrow(/embedding model/)
  })
})

describe('the wire protocol', () => {
  const connect = (ns: string, auth: object | string) =>
    new Promise<{
      ws: WebSocket
      first: unknown
      next: () => Promise<unknown>
    }>((resolve, reject) => {
      const ws = new WebSocket(`${wsUrl()}/${ns}`)
      const queue: unknown[] = []
      const waiters: ((v: unknown) => void)[] = []
      ws.on('message', (d) => {
        const v = JSON.parse(String(d))
        const w = waiters.shift()
        if (w) w(v)
        else queue.push(v)
      })
      const next = () =>
        new Promise<unknown>((r) => {
          const v = queue.shift()
          if (v !== undefined) r(v)
          else waiters.push(r)
        })
      ws.on('open', async () => {
        ws.send(typeof auth === 'string' ? auth : JSON.stringify(auth))
        resolve({ ws, first: await next(), next })
      })
      ws.on('error', reject)
    })
  const auth = { authVersion: 1, clientIdentifier: 'test', clientPasskey: 'x' }

  it('auth first, then rpcResult / rpcError / communicationWarning / keepAliveAck', async () => {
    const { ws, first, next } = await connect('system', auth)
    expect(first).toEqual({ success: true })
    ws.send(JSON.stringify({ type: 'rpcCall', endpoint: 'version', callId: 7 }))
    expect(await next()).toEqual({
      type: 'rpcResult',
      callId: 7,
      result: { version: '0.1.0', build: 0 },
    })
    ws.send(JSON.stringify({ type: 'rpcCall', endpoint: 'nope', callId: 8 }))
    expect(await next()).toMatchObject({
      type: 'rpcError',
      callId: 8,
      error: { title: expect.stringContaining('"nope"') },
    })
    ws.send('not json')
    expect(await next()).toMatchObject({ type: 'communicationWarning' })
    ws.send(JSON.stringify({ type: 'keepAlive' }))
    expect(await next()).toEqual({ type: 'keepAliveAck' })
    ws.close()
  })

  it('bad predict parameters are a channelError; a closed socket cancels the prediction', async () => {
    const model = await client.llm.model(SMOL_KEY, { verbose: false })
    const { instanceReference } = await model.getModelInfo()
    const { ws, first, next } = await connect('llm', auth)
    expect(first).toEqual({ success: true })
    const predict = (channelId: number, creationParameter: object) =>
      ws.send(
        JSON.stringify({
          type: 'channelCreate',
          endpoint: 'predict',
          channelId,
          creationParameter,
        }),
      )
    const good = {
      modelSpecifier: {
        type: 'instanceReference',
        instanceReference,
      },
      history: {
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'Tell a story.' }] },
        ],
      },
      predictionConfigStack: {
        layers: [
          {
            layerName: 'apiOverride',
            config: {
              fields: [
                {
                  key: 'llm.prediction.maxPredictedTokens',
                  value: { checked: true, value: 400 },
                },
              ],
            },
          },
        ],
      },
    }
    predict(1, { ...good, history: { messages: 'hi' } })
    expect(await next()).toMatchObject({
      type: 'channelError',
      channelId: 1,
      error: { title: expect.stringContaining('history') },
    })
    predict(2, {
      ...good,
      modelSpecifier: { type: 'instanceReference', instanceReference: 'nope' },
    })
    expect(await next()).toMatchObject({ type: 'channelError', channelId: 2 })
    // A good one: wait for its first fragment, then drop the connection.
    const before = srv.server.context.generations.snapshot()
    predict(3, good)
    for (;;) {
      const m = (await next()) as { type: string; message?: { type?: string } }
      expect(m.type).toBe('channelSend')
      if (m.message?.type === 'fragment') break
    }
    ws.terminate()
    await vi.waitFor(() =>
      expect(
        srv.server.context.generations.snapshot().cancelledGenerations,
      ).toBe(before.cancelledGenerations + 1),
    )
    expect(srv.server.context.generations.snapshot().activeGenerations).toBe(0)
  })

  it('a bad auth packet is refused; an unknown namespace is a 404', async () => {
    const { first } = await connect('llm', '{"hello": 1}')
    expect(first).toMatchObject({ success: false })
    const res = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${wsUrl()}/nowhere`)
      ws.on('unexpected-response', (_req, r) => resolve(r.statusCode ?? 0))
      ws.on('error', () => {})
    })
    expect(res).toBe(404)
    // Still serving.
    expect((await client.system.listDownloadedModels()).length).toBeGreaterThan(
      0,
    )
  })
})
