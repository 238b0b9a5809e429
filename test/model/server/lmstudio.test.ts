// LM Studio's native endpoints with the real engine: v0 stats/model_info,
// v1 named stream events on a JIT load (load and prompt-processing progress
// while they happen), v1 load/unload and model listing.
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
    expect(events.slice(0, 3)).toEqual([
      'chat.start',
      'model_load.start',
      'model_load.progress',
    ])
    // Progress from the weight loader, while it reads: values between 0 and
    // 1, increasing, then model_load.end before any prompt processing.
    const load = frames(text)
      .filter((f) => f.type === 'model_load.progress')
      .map((f) => f.progress as number)
    expect(load[0]).toBe(0)
    expect(load.at(-1)).toBe(1)
    expect(load.filter((p) => p > 0 && p < 1).length).toBeGreaterThan(2)
    expect(load).toEqual([...load].sort((a, b) => a - b))
    const endAt = events.indexOf('model_load.end')
    expect(endAt).toBe(events.lastIndexOf('model_load.progress') + 1)
    expect(events.indexOf('prompt_processing.start')).toBe(endAt + 1)
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

  it('/api/v1/chat: prompt_processing.progress per prefill chunk of a long prompt', async () => {
    // ~600 tokens: three prefill chunks of at most 256 tokens.
    const input = `${'A fox ran across the quiet field at dawn. '.repeat(60)}Summarize.`
    const res = await post('/api/v1/chat', {
      model: SMOL_KEY,
      input,
      stream: true,
      max_output_tokens: 2,
      temperature: 0,
      store: false,
    })
    const all = frames(await res.text())
    const types = all.map((f) => f.type)
    const progress = all
      .filter((f) => f.type === 'prompt_processing.progress')
      .map((f) => f.progress as number)
    expect(progress[0]).toBe(0)
    expect(progress.at(-1)).toBe(1)
    const between = progress.filter((p) => p > 0 && p < 1)
    expect(between.length).toBeGreaterThanOrEqual(2)
    expect(progress).toEqual([...progress].sort((a, b) => a - b))
    // All of it before the end of prompt processing and the first token.
    const lastProgress = types.lastIndexOf('prompt_processing.progress')
    expect(types.indexOf('prompt_processing.end')).toBe(lastProgress + 1)
    expect(types.indexOf('message.start')).toBeGreaterThan(lastProgress)
    const end = all.at(-1) as { result: { stats: Record<string, number> } }
    expect(end.result.stats.input_tokens).toBeGreaterThan(512)
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

/** The data objects of an SSE body, in order. */
function frames(text: string): Record<string, unknown>[] {
  return [...text.matchAll(/^data: (.+)$/gm)].map((m) =>
    JSON.parse(m[1] as string),
  )
}
