// Legacy /v1/completions (and /api/v0/completions) stop at 16 tokens when
// the request sets no max_tokens, as OpenAI's endpoint does; -1 still means
// no limit, and chat completions keep no default.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeServer } from '../../helpers/fakeServer.ts'

let srv: Awaited<ReturnType<typeof startFakeServer>>
beforeAll(async () => {
  srv = await startFakeServer()
})
afterAll(() => srv.close())

const post = (path: string, body: object) =>
  fetch(`${srv.url}${path}`, { method: 'POST', body: JSON.stringify(body) })
const lastOptions = () => srv.loaded[0]?.calls.at(-1)?.options

describe('completions max_tokens default', () => {
  it('is 16 on both completions endpoints, -1 and explicit values win', async () => {
    for (const path of ['/v1/completions', '/api/v0/completions']) {
      expect(
        (await post(path, { model: 'tiny-chat', prompt: 'x' })).status,
      ).toBe(200)
      expect(lastOptions()?.maxTokens).toBe(16)
    }
    await post('/v1/completions', {
      model: 'tiny-chat',
      prompt: 'x',
      max_tokens: -1,
    })
    expect(lastOptions()?.maxTokens).toBe(-1)
    await post('/v1/completions', {
      model: 'tiny-chat',
      prompt: 'x',
      max_tokens: 3,
    })
    expect(lastOptions()?.maxTokens).toBe(3)
    await post('/v1/chat/completions', {
      model: 'tiny-chat',
      messages: [{ role: 'user', content: 'x' }],
    })
    expect(lastOptions()?.maxTokens).toBeUndefined()
  })
})
