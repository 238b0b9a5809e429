// Hub downloads through @huggingface/hub pointed at a local HF-style server:
// cache layout, quantization choice, resume after a cut, checksum, offline
// mode, reuse of existing blobs, and the /api/v1 download job endpoints.
import {
  mkdir,
  mkdtemp,
  readFile,
  readlink,
  rm,
  writeFile,
} from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DownloadJobs } from '../../../src/models/download/DownloadJobs.ts'
import { downloadModel } from '../../../src/models/download/downloadModel.ts'
import {
  ChecksumMismatchError,
  ModelNotFoundError,
  OfflineError,
} from '../../../src/models/errors.ts'
import { ModelStore } from '../../../src/models/ModelStore.ts'
import { createServer } from '../../../src/server/createServer.ts'
import {
  fakeGguf,
  type HubServer,
  startHubServer,
} from '../../helpers/hubServer.ts'
import { readJson } from '../../helpers/readJson.ts'

const SHA = 'c'.repeat(40)
const q4 = fakeGguf('llama', 4096, 200_000)
const q8 = fakeGguf('llama', 4096, 300_000)
const config = Buffer.from(
  JSON.stringify({ model_type: 'bert', architectures: ['BertModel'] }),
)
const weights = Buffer.alloc(50_000, 3)
let hub: HubServer
let dir: string

beforeAll(async () => {
  hub = await startHubServer([
    {
      id: 'acme/Tiny-Chat-GGUF',
      sha: SHA,
      files: [
        { path: 'README.md', content: Buffer.from('# tiny') },
        { path: 'Tiny-Chat.Q4_1.gguf', content: q4, lfs: true },
        { path: 'Tiny-Chat.Q8_0.gguf', content: q8, lfs: true },
      ],
    },
    {
      id: 'acme/tiny-embed',
      sha: 'd'.repeat(40),
      files: [
        { path: 'config.json', content: config },
        { path: 'model.safetensors', content: weights, lfs: true },
        { path: 'pytorch_model.bin', content: weights, lfs: true },
        { path: 'modules.json', content: Buffer.from('[]') },
      ],
    },
  ])
  dir = await mkdtemp(join(tmpdir(), 'pocket-dl-'))
})
afterAll(async () => {
  await hub.close()
  await rm(dir, { recursive: true, force: true })
})

const cache = () => join(dir, 'hub')

describe('downloadModel', () => {
  it('downloads one quantization into the HF cache layout, with progress', async () => {
    const progress: number[] = []
    const r = await downloadModel({
      repo: 'acme/Tiny-Chat-GGUF',
      quantization: 'q8_0',
      hubUrl: hub.url,
      cacheDir: cache(),
      offline: false,
      onProgress: (p) => progress.push(p.downloadedBytes),
    })
    const repoDir = join(cache(), 'models--acme--Tiny-Chat-GGUF')
    expect(r.commit).toBe(SHA)
    expect(r.paths).toEqual([
      join(repoDir, 'snapshots', SHA, 'Tiny-Chat.Q8_0.gguf'),
    ])
    expect(await readFile(join(repoDir, 'refs', 'main'), 'utf8')).toBe(SHA)
    expect(await readlink(r.paths[0]!)).toMatch(
      /^\.\.\/\.\.\/blobs\/[0-9a-f]{64}$/,
    )
    expect((await readFile(r.paths[0]!)).equals(q8)).toBe(true)
    expect(progress.at(-1)).toBe(q8.length)
    expect(hub.served.has('Tiny-Chat.Q4_1.gguf')).toBe(false)

    const listed = await new ModelStore({
      hubCacheDir: cache(),
      importsDir: join(dir, 'none'),
    }).list()
    expect(listed).toMatchObject([
      {
        key: 'acme/Tiny-Chat-GGUF',
        variant: 'q8_0',
        maxContextLength: 4096,
        architecture: 'llama',
      },
    ])
  })

  it('a second download is served from the cache', async () => {
    const before = hub.served.get('Tiny-Chat.Q8_0.gguf')
    const r = await downloadModel({
      repo: 'acme/Tiny-Chat-GGUF',
      quantization: 'q8_0',
      hubUrl: hub.url,
      cacheDir: cache(),
      offline: false,
    })
    expect(r.alreadyDownloaded).toBe(true)
    expect(hub.served.get('Tiny-Chat.Q8_0.gguf')).toBe(before)
  })

  it('resumes an interrupted download from the bytes on disk', async () => {
    hub.cutAfterBytes = 80_000
    await expect(
      downloadModel({
        repo: 'acme/Tiny-Chat-GGUF',
        quantization: 'q4_1',
        hubUrl: hub.url,
        cacheDir: cache(),
        offline: false,
      }),
    ).rejects.toThrow(/interrupted|stopped/)
    hub.rangeStarts.length = 0
    const r = await downloadModel({
      repo: 'acme/Tiny-Chat-GGUF',
      quantization: 'q4_1',
      hubUrl: hub.url,
      cacheDir: cache(),
      offline: false,
    })
    expect(hub.rangeStarts[0]).toBeGreaterThanOrEqual(80_000)
    expect((await readFile(r.paths[0]!)).equals(q4)).toBe(true)
    expect(hub.served.get('Tiny-Chat.Q4_1.gguf')).toBeLessThan(q4.length + 1000)
  })

  it('rejects bytes that do not match the hub checksum', async () => {
    const other = join(dir, 'corrupt')
    const blob = join(other, 'models--acme--tiny-embed', 'blobs')
    await mkdir(blob, { recursive: true })
    // A "partial" file of the right size but wrong bytes.
    const sha = (await import('node:crypto'))
      .createHash('sha256')
      .update(weights)
      .digest('hex')
    await writeFile(
      join(blob, `${sha}.incomplete`),
      Buffer.alloc(weights.length, 9),
    )
    await expect(
      downloadModel({
        repo: 'acme/tiny-embed',
        hubUrl: hub.url,
        cacheDir: other,
        offline: false,
      }),
    ).rejects.toBeInstanceOf(ChecksumMismatchError)
    const r = await downloadModel({
      repo: 'acme/tiny-embed',
      hubUrl: hub.url,
      cacheDir: other,
      offline: false,
    })
    expect(r.paths).toEqual([
      join(other, 'models--acme--tiny-embed', 'snapshots', 'd'.repeat(40)),
    ])
    const listed = await new ModelStore({
      hubCacheDir: other,
      importsDir: join(dir, 'none'),
    }).list()
    expect(listed).toMatchObject([
      {
        key: 'acme/tiny-embed',
        type: 'embeddings',
        format: 'safetensors',
        sizeBytes: weights.length,
      },
    ])
    expect(hub.served.has('pytorch_model.bin')).toBe(false)
  })

  it('offline mode answers from the cache or fails clearly', async () => {
    const r = await downloadModel({
      repo: 'acme/Tiny-Chat-GGUF',
      quantization: 'q8_0',
      cacheDir: cache(),
      offline: true,
    })
    expect(r.alreadyDownloaded).toBe(true)
    await expect(
      downloadModel({ repo: 'acme/Other', cacheDir: cache(), offline: true }),
    ).rejects.toBeInstanceOf(OfflineError)
  })

  it('unknown repo or quantization is ModelNotFoundError', async () => {
    await expect(
      downloadModel({
        repo: 'acme/nope',
        hubUrl: hub.url,
        cacheDir: cache(),
        offline: false,
      }),
    ).rejects.toBeInstanceOf(ModelNotFoundError)
    await expect(
      downloadModel({
        repo: 'acme/Tiny-Chat-GGUF',
        quantization: 'q2_k',
        hubUrl: hub.url,
        cacheDir: cache(),
        offline: false,
      }),
    ).rejects.toThrow(/Q4_1, Q8_0/)
  })
})

describe('POST /api/v1/models/download', () => {
  it('starts a job, reports status, then already_downloaded', async () => {
    const jobsDir = join(dir, 'jobs')
    const server = createServer({
      port: 0,
      catalogue: new ModelStore({
        hubCacheDir: jobsDir,
        importsDir: join(dir, 'none'),
      }),
      loader: async () => {
        throw new Error('no loads here')
      },
      downloads: new DownloadJobs({
        hubUrl: hub.url,
        cacheDir: jobsDir,
        offline: false,
      }),
    })
    const { url } = await server.listen()
    try {
      const post = (body: object) =>
        fetch(`${url}/api/v1/models/download`, {
          method: 'POST',
          body: JSON.stringify(body),
        }).then(readJson)
      const job = await post({
        model: `https://huggingface.co/acme/Tiny-Chat-GGUF`,
        quantization: 'Q4_1',
      })
      expect(job).toMatchObject({
        status: 'downloading',
        total_size_bytes: q4.length,
      })
      await server.context.downloads.wait(job.job_id)
      const status = await readJson(
        await fetch(`${url}/api/v1/models/download/status/${job.job_id}`),
      )
      expect(status).toMatchObject({
        job_id: job.job_id,
        status: 'completed',
        downloaded_bytes: q4.length,
      })
      expect(status.completed_at).toBeTypeOf('string')
      expect(await post({ model: 'acme/Tiny-Chat-GGUF@q4_1' })).toMatchObject({
        status: 'already_downloaded',
      })
      const models = await readJson(await fetch(`${url}/v1/models`))
      expect(models.data.map((m: { id: string }) => m.id)).toEqual([
        'acme/Tiny-Chat-GGUF',
      ])
      const missing = await fetch(`${url}/api/v1/models/download`, {
        method: 'POST',
        body: JSON.stringify({ model: 'acme/none' }),
      })
      expect(missing.status).toBe(404)
    } finally {
      await server.close()
    }
  })
})
