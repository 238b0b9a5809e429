// /v1/embeddings and /api/v1/search on the real server with the real
// all-MiniLM-L6-v2 weights (a temporary HF hub cache linking the registry
// package's files), through the official `openai` npm client.
import {
  mkdir,
  mkdtemp,
  readdir,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadEmbeddingModel } from '../../../src/engine/embeddings/loadEmbeddingModel.ts'
import { engineLoader } from '../../../src/models/engineLoader.ts'
import { ModelStore } from '../../../src/models/ModelStore.ts'
import { indexFiles } from '../../../src/search/indexFiles.ts'
import { VectorStore } from '../../../src/search/VectorStore.ts'
import { createServer } from '../../../src/server/createServer.ts'
import { hasEncoders } from '../../helpers/encoders.ts'
import { MINILM_KEY, MINILM_REV, minilmPath } from '../../helpers/minilm.ts'

let dir: string
let server: ReturnType<typeof createServer>
let url: string
let client: OpenAI

beforeAll(async () => {
  if (!hasEncoders) return
  dir = await mkdtemp(join(tmpdir(), 'pocket-emb-'))
  const repo = join(
    dir,
    'hub',
    'models--sentence-transformers--all-MiniLM-L6-v2',
  )
  const snap = join(repo, 'snapshots', MINILM_REV)
  await mkdir(snap, { recursive: true })
  await mkdir(join(repo, 'refs'), { recursive: true })
  await writeFile(join(repo, 'refs', 'main'), MINILM_REV)
  for (const f of await readdir(minilmPath()))
    await symlink(join(minilmPath(), f), join(snap, f))
  // A small corpus indexed with the same model, served by /api/v1/search.
  await mkdir(join(dir, 'docs'))
  await writeFile(
    join(dir, 'docs', 'cooking.md'),
    'How to bake bread.\n\nMix flour, water, yeast and salt, then knead the dough.\n',
  )
  await writeFile(
    join(dir, 'docs', 'space.md'),
    'Rockets and orbits.\n\nA rocket needs enough speed to reach orbit around the Earth.\n',
  )
  {
    using store = VectorStore.open(join(dir, 'index.sqlite'))
    await using model = await loadEmbeddingModel(minilmPath())
    await indexFiles(store, model, [join(dir, 'docs')], {
      model: MINILM_KEY,
      maxChars: 40,
    })
  }
  process.env.POCKET_INDEX = join(dir, 'index.sqlite')
  server = createServer({
    port: 0,
    catalogue: new ModelStore({
      hubCacheDir: join(dir, 'hub'),
      importsDir: join(dir, 'imports'),
    }),
    loader: engineLoader,
  })
  url = (await server.listen()).url
  client = new OpenAI({
    baseURL: `${url}/v1`,
    apiKey: 'unused',
    maxRetries: 0,
    timeout: 600_000,
  })
})
afterAll(async () => {
  delete process.env.POCKET_INDEX
  await server?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

const norm = (v: number[]) => Math.hypot(...v)

describe.skipIf(!hasEncoders)('/v1/embeddings with all-MiniLM-L6-v2', () => {
  it('lists the model as type embeddings', async () => {
    const res = await fetch(`${url}/api/v0/models`)
    const body = (await res.json()) as { data: { id: string; type: string }[] }
    expect(body.data.find((m) => m.id === MINILM_KEY)?.type).toBe('embeddings')
  })

  it('embeds a string and an array, with real usage', async () => {
    const one = await client.embeddings.create({
      model: MINILM_KEY,
      input: 'hello world',
      encoding_format: 'float',
    })
    expect(one.data).toHaveLength(1)
    expect(one.data[0]!.embedding).toHaveLength(384)
    expect(norm(one.data[0]!.embedding)).toBeCloseTo(1, 5)
    expect(one.usage).toEqual({ prompt_tokens: 4, total_tokens: 4 })
    const many = await client.embeddings.create({
      model: MINILM_KEY,
      input: ['hello world', 'A man is eating food.'],
      encoding_format: 'float',
    })
    expect(many.data.map((d) => d.index)).toEqual([0, 1])
    // Padding in a batch changes float summation order only.
    for (const [i, x] of many.data[0]!.embedding.entries())
      expect(x).toBeCloseTo(one.data[0]!.embedding[i]!, 5)
    expect(many.usage.prompt_tokens).toBe(4 + 8)
  })

  it('round-trips base64 (the openai client decodes it) and truncates dimensions', async () => {
    const f = await client.embeddings.create({
      model: MINILM_KEY,
      input: 'A man is eating food.',
      encoding_format: 'float',
    })
    // Without encoding_format the client asks for base64 and decodes float32.
    const b = await client.embeddings.create({
      model: MINILM_KEY,
      input: 'A man is eating food.',
    })
    expect(b.data[0]!.embedding).toEqual(f.data[0]!.embedding)
    const raw = (await (
      await fetch(`${url}/v1/embeddings`, {
        method: 'POST',
        body: JSON.stringify({
          model: MINILM_KEY,
          input: 'x',
          encoding_format: 'base64',
        }),
      })
    ).json()) as { data: { embedding: string }[] }
    expect(Buffer.from(raw.data[0]!.embedding, 'base64').length).toBe(384 * 4)
    const d = await client.embeddings.create({
      model: MINILM_KEY,
      input: 'A man is eating food.',
      dimensions: 128,
      encoding_format: 'float',
    })
    expect(d.data[0]!.embedding).toHaveLength(128)
    expect(norm(d.data[0]!.embedding)).toBeCloseTo(1, 5)
    const err = await client.embeddings
      .create({ model: MINILM_KEY, input: 'x', dimensions: 1000 })
      .catch((e) => e)
    expect(err.status).toBe(400)
    expect(err.message).toContain('dimensions')
  })
})

describe.skipIf(!hasEncoders)('/api/v1/search', () => {
  it('returns top-k spans with scores and line ranges', async () => {
    const res = await fetch(`${url}/api/v1/search`, {
      method: 'POST',
      body: JSON.stringify({ query: 'kneading dough for a loaf', k: 2 }),
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as {
      model: string
      data: {
        path: string
        start_line: number
        end_line: number
        score: number
        text: string
      }[]
    }
    expect(body.model).toBe(MINILM_KEY)
    expect(body.data).toHaveLength(2)
    expect(body.data[0]!.path).toBe(join(dir, 'docs', 'cooking.md'))
    expect(body.data[0]!.start_line).toBeGreaterThanOrEqual(1)
    expect(body.data[0]!.score).toBeGreaterThan(body.data[1]!.score)
    const bad = await fetch(`${url}/api/v1/search`, {
      method: 'POST',
      body: JSON.stringify({ query: '' }),
    })
    expect(bad.status).toBe(400)
  })
})
