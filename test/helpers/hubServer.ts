// A local HTTP server that answers like the Hugging Face hub for the calls
// @huggingface/hub makes when downloading: model info (commit sha), the file
// tree (sizes, git oids, LFS sha256), and `resolve` with HTTP Range + ETag.
// `cutAfterBytes` drops the connection mid-file to exercise resume.
import { createHash } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export type HubFile = { path: string; content: Buffer; lfs?: boolean }
export type HubRepo = { id: string; sha: string; files: HubFile[] }

export type HubServer = {
  url: string
  /** Bytes served from `resolve`, per file path. */
  served: Map<string, number>
  rangeStarts: number[]
  cutAfterBytes: number | null
  close(): Promise<void>
}

const gitOid = (c: Buffer) =>
  createHash('sha1').update(`blob ${c.length}\0`).update(c).digest('hex')
const sha256 = (c: Buffer) => createHash('sha256').update(c).digest('hex')

export async function startHubServer(repos: HubRepo[]): Promise<HubServer> {
  const state: HubServer = {
    url: '',
    served: new Map(),
    rangeStarts: [],
    cutAfterBytes: null,
    close: async () => {},
  }
  const find = (id: string) => repos.find((r) => r.id === id)
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    let m = url.pathname.match(
      /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/,
    )
    if (m) {
      const repo = find(decodeURIComponent(m[1] as string))
      if (!repo) return json(404, { error: 'Repository not found' })
      return json(200, {
        _id: 'x',
        id: repo.id,
        sha: repo.sha,
        private: false,
        lastModified: '2026-01-01T00:00:00Z',
      })
    }
    m = url.pathname.match(/^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)$/)
    if (m) {
      const repo = find(decodeURIComponent(m[1] as string))
      if (!repo) return json(404, { error: 'Repository not found' })
      return json(
        200,
        repo.files.map((f) => ({
          type: 'file',
          path: f.path,
          size: f.lfs ? 134 : f.content.length,
          oid: f.lfs ? 'b'.repeat(40) : gitOid(f.content),
          ...(f.lfs
            ? {
                lfs: {
                  oid: sha256(f.content),
                  size: f.content.length,
                  pointerSize: 134,
                },
              }
            : {}),
        })),
      )
    }
    m = url.pathname.match(/^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/)
    if (m) {
      const file = find(m[1] as string)?.files.find(
        (f) => f.path === decodeURIComponent(m?.[3] as string),
      )
      if (!file) {
        res.writeHead(404, { 'x-error-code': 'EntryNotFound' })
        return res.end()
      }
      const etag = `"${file.lfs ? sha256(file.content) : gitOid(file.content)}"`
      const range = req.headers.range?.match(/^bytes=(\d+)-(\d*)$/)
      const start = range ? Number(range[1]) : 0
      const end = range?.[2] ? Number(range[2]) : file.content.length - 1
      const body = file.content.subarray(start, end + 1)
      const headers: Record<string, string | number> = {
        etag,
        'accept-ranges': 'bytes',
        'content-type': 'application/octet-stream',
        'content-length': body.length,
      }
      if (range)
        headers['content-range'] =
          `bytes ${start}-${end}/${file.content.length}`
      res.writeHead(range ? 206 : 200, headers)
      if (req.method === 'HEAD') return res.end()
      if (body.length > 1) state.rangeStarts.push(start)
      const cut = state.cutAfterBytes
      if (cut != null && body.length > cut) {
        state.cutAfterBytes = null
        res.write(body.subarray(0, cut), () => {
          state.served.set(file.path, (state.served.get(file.path) ?? 0) + cut)
          setTimeout(() => res.destroy(), 20)
        })
        return
      }
      state.served.set(
        file.path,
        (state.served.get(file.path) ?? 0) +
          (body.length > 1 ? body.length : 0),
      )
      return res.end(body)
    }
    json(404, { error: 'not found' })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  state.close = () =>
    new Promise((r) => {
      server.closeAllConnections()
      server.close(() => r())
    })
  return state
}

/** A minimal GGUF header (architecture + context length, no tensors). */
export function fakeGguf(
  arch = 'llama',
  contextLength = 2048,
  padding = 0,
): Buffer {
  const str = (s: string) => {
    const b = Buffer.from(s)
    const len = Buffer.alloc(8)
    len.writeBigUInt64LE(BigInt(b.length))
    return Buffer.concat([len, b])
  }
  const u32 = (n: number) => {
    const b = Buffer.alloc(4)
    b.writeUInt32LE(n)
    return b
  }
  const head = Buffer.alloc(24)
  head.write('GGUF', 0, 'latin1')
  head.writeUInt32LE(3, 4)
  head.writeBigUInt64LE(0n, 8)
  head.writeBigUInt64LE(2n, 16)
  return Buffer.concat([
    head,
    str('general.architecture'),
    u32(8),
    str(arch),
    str(`${arch}.context_length`),
    u32(4),
    u32(contextLength),
    Buffer.alloc(padding, 7),
  ])
}
