// `draft_model` over HTTP (LM Studio's request field): the draft is
// JIT-loaded by key, the answer is the one plain decoding gives, and the
// LM Studio stats carry the draft counters. A draft with another vocabulary
// is a 400 naming `draft_model`.
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { smollm2Path } from '../../helpers/models.ts'
import { readJson } from '../../helpers/readJson.ts'
import { SMOL_KEY, startRealServer } from '../../helpers/realServer.ts'
import { writeTinyCheckpoint } from '../../helpers/tinyCheckpoint.ts'

const TWIN_KEY = 'test/SmolLM2-twin-GGUF'
const TINY_KEY = 'test/tiny-llama'

async function addRepo(hub: string, key: string) {
  const repo = join(hub, `models--${key.replace('/', '--')}`)
  await mkdir(join(repo, 'snapshots', 'r1'), { recursive: true })
  await mkdir(join(repo, 'refs'), { recursive: true })
  await writeFile(join(repo, 'refs', 'main'), 'r1')
  return join(repo, 'snapshots', 'r1')
}

let srv: Awaited<ReturnType<typeof startRealServer>>
beforeAll(async () => {
  srv = await startRealServer({}, async (hub) => {
    const twin = await addRepo(hub, TWIN_KEY)
    await symlink(smollm2Path(), join(twin, 'SmolLM2-twin.Q4_1.gguf'))
    writeTinyCheckpoint(await addRepo(hub, TINY_KEY), 'llama')
  })
})
afterAll(() => srv?.close())

const post = (path: string, body: unknown) =>
  fetch(`${srv.url}${path}`, { method: 'POST', body: JSON.stringify(body) })

const chat = {
  model: SMOL_KEY,
  messages: [{ role: 'user', content: 'Name three colours of the rainbow.' }],
  temperature: 0,
  max_tokens: 24,
}

describe('draft_model over HTTP', () => {
  it('JIT-loads the draft, answers as plain decoding does and reports the counters', async () => {
    const plain = await readJson(await post('/api/v0/chat/completions', chat))
    const res = await post('/api/v0/chat/completions', {
      ...chat,
      draft_model: TWIN_KEY,
      num_draft_tokens: 3,
    })
    expect(res.status).toBe(200)
    const spec = await readJson(res)
    expect(spec.choices[0].message.content).toBe(
      plain.choices[0].message.content,
    )
    expect(spec.stats.draft_model).toBe(TWIN_KEY)
    expect(spec.stats.accepted_draft_tokens_count).toBeGreaterThan(0)
    expect(
      spec.stats.accepted_draft_tokens_count +
        spec.stats.rejected_draft_tokens_count +
        spec.stats.ignored_draft_tokens_count,
    ).toBe(spec.stats.total_draft_tokens_count)
    expect(plain.stats.draft_model).toBeUndefined()
    const counters = await readJson(await fetch(`${srv.url}/api/v1/stats`))
    expect(counters.draftTokens.accepted).toBeGreaterThanOrEqual(
      spec.stats.accepted_draft_tokens_count,
    )
  })

  it('takes "prompt-lookup" as a draft on /v1/chat/completions, streaming', async () => {
    const res = await post('/v1/chat/completions', {
      ...chat,
      draft_model: 'prompt-lookup',
      stream: true,
    })
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(text.trim().endsWith('data: [DONE]')).toBe(true)
  })

  it('rejects a draft with another vocabulary or an unknown draft with OpenAI errors', async () => {
    const bad = await post('/v1/chat/completions', {
      ...chat,
      draft_model: TINY_KEY,
    })
    expect(bad.status).toBe(400)
    const body = await readJson(bad)
    expect(body.error.param).toBe('draft_model')
    expect(body.error.message).toMatch(/vocabulary/)
    const missing = await post('/v1/chat/completions', {
      ...chat,
      draft_model: 'nobody/nothing',
    })
    expect(missing.status).toBe(404)
    const count = await post('/v1/chat/completions', {
      ...chat,
      draft_model: TWIN_KEY,
      num_draft_tokens: 0,
    })
    expect(count.status).toBe(400)
    expect((await readJson(count)).error.param).toBe('num_draft_tokens')
  })
})
