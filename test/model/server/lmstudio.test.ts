// LM Studio's native endpoints with the real engine: v0 stats/model_info,
// v1 named stream events on a JIT load, v1 load/unload and model listing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readJson } from '../../helpers/readJson.ts'
import { SMOL_KEY, startRealServer } from '../../helpers/realServer.ts'

let srv: Awaited<ReturnType<typeof startRealServer>>
beforeAll(async () => {
  srv = await startRealServer()
})
afterAll(() => srv?.close())

const post = (path: string, body: unknown) =>
  fetch(`${srv.url}${path}`, { method: 'POST', body: JSON.stringify(body) })

describe('LM Studio endpoints, real engine', () => {
  it('/api/v1/chat streams named events, including the JIT model load', async () => {
    const res = await post('/api/v1/chat', {
      model: SMOL_KEY,
      input: 'Hello!',
      stream: true,
      max_output_tokens: 4,
      temperature: 0,
    })
    const text = await res.text()
    const events = [...text.matchAll(/^event: (.+)$/gm)].map((m) => m[1])
    expect(events.slice(0, 4)).toEqual([
      'chat.start',
      'model_load.start',
      'model_load.progress',
      'model_load.end',
    ])
    expect(events.filter((e) => e === 'message.delta').length).toBeGreaterThan(
      0,
    )
    expect(events.at(-1)).toBe('chat.end')
    const end = JSON.parse(text.trim().split('\n').at(-1)!.slice(6))
    expect(end.result.stats).toMatchObject({
      total_output_tokens: 4,
      reasoning_output_tokens: 0,
    })
    expect(end.result.stats.model_load_time_seconds).toBeGreaterThan(0)
    expect(end.result.response_id).toMatch(/^resp_/)
  })

  it('/api/v0/chat/completions adds stats, model_info and runtime', async () => {
    const r = await readJson(
      await post('/api/v0/chat/completions', {
        model: SMOL_KEY,
        messages: [{ role: 'user', content: 'Hi' }],
        max_tokens: 3,
      }),
    )
    expect(r.stats.stop_reason).toBe('maxPredictedTokensReached')
    expect(r.stats.tokens_per_second).toBeGreaterThan(0)
    expect(r.model_info).toEqual({
      arch: 'llama',
      quant: 'Q4_1',
      format: 'gguf',
      context_length: 8192,
    })
    const v0 = await readJson(
      await fetch(`${srv.url}/api/v0/models/${SMOL_KEY}`),
    )
    expect(v0).toMatchObject({
      state: 'loaded',
      max_context_length: 8192,
      loaded_context_length: 8192,
    })
  })

  it('/api/v1/models/load and unload', async () => {
    const loaded = await readJson(
      await post('/api/v1/models/load', {
        model: 'smollm2-135m-instruct',
        context_length: 2048,
        echo_load_config: true,
      }),
    )
    expect(loaded).toMatchObject({
      type: 'llm',
      instance_id: `${SMOL_KEY}:2`,
      status: 'loaded',
      load_config: { context_length: 2048 },
    })
    const { models } = await readJson(await fetch(`${srv.url}/api/v1/models`))
    expect(
      models[0].loaded_instances.map((i: { id: string }) => i.id).sort(),
    ).toEqual([SMOL_KEY, `${SMOL_KEY}:2`])
    expect(
      await readJson(
        await post('/api/v1/models/unload', { instance_id: `${SMOL_KEY}:2` }),
      ),
    ).toEqual({ instance_id: `${SMOL_KEY}:2` })
  })
})
