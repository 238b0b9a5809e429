// The payload relay: a small HTTP store for ciphertexts that the chain only
// points to. Blobs are content-addressed (the URI ends in the keccak256 of
// the bytes, so a reader checks what it got); slots are append-only lists of
// JSON entries (key announcements, sealed inputs, reveals to jurors) whose
// readers verify every entry (signatures, AEAD), so the relay needs no trust.
//   POST /v1/blob            bytes -> 201 { uri, hash }
//   GET  /v1/blob/<hash>     bytes | 404
//   POST /v1/slot/<name>     JSON entry -> 201 { count }
//   GET  /v1/slot/<name>     [entries]
// With `dir`, everything is also written to disk and reloaded on start.
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs'
import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http'
import { join } from 'node:path'
import { bytesToHex, keccak256 } from 'viem'

export type StartRelayParameters = {
  port?: number
  host?: string
  /** Persist blobs and slots here (default: memory only). */
  dir?: string
  /** Largest accepted body in bytes (default 1 MiB). */
  maxBytes?: number
}

export type Relay = {
  url: string
  port: number
  close: () => Promise<void>
  [Symbol.asyncDispose]: () => Promise<void>
}

const SLOT = /^[a-z0-9][a-z0-9:_.\-/]{0,199}$/
const HASH = /^0x[0-9a-f]{64}$/

function fail(
  res: ServerResponse,
  status: number,
  message: string,
  code: string,
) {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(
    JSON.stringify({
      error: { message, type: 'invalid_request_error', param: null, code },
    }),
  )
}

function body(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    let n = 0
    req.on('data', (d: Buffer) => {
      n += d.length
      if (n > max) {
        resolve(undefined)
        req.destroy()
      } else parts.push(d)
    })
    req.on('end', () => resolve(Buffer.concat(parts)))
    req.on('error', reject)
  })
}

export async function startRelay(p: StartRelayParameters = {}): Promise<Relay> {
  const max = p.maxBytes ?? 1 << 20
  const blobs = new Map<string, Buffer>()
  const slots = new Map<string, unknown[]>()
  const slotFile = (name: string) =>
    join(p.dir as string, 'slot', `${encodeURIComponent(name)}.jsonl`)
  if (p.dir) {
    mkdirSync(join(p.dir, 'blob'), { recursive: true })
    mkdirSync(join(p.dir, 'slot'), { recursive: true })
    for (const f of readdirSync(join(p.dir, 'blob')))
      blobs.set(f, readFileSync(join(p.dir, 'blob', f)))
    for (const f of readdirSync(join(p.dir, 'slot')))
      slots.set(
        decodeURIComponent(f.replace(/\.jsonl$/, '')),
        readFileSync(join(p.dir, 'slot', f), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l)),
      )
  }
  let base = ''
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://relay')
      const [, v, kind, ...rest] = url.pathname.split('/')
      const name = decodeURIComponent(rest.join('/'))
      if (v !== 'v1' || (kind !== 'blob' && kind !== 'slot'))
        return fail(res, 404, `No route ${url.pathname}.`, 'not_found')
      if (kind === 'blob' && req.method === 'POST' && !name) {
        const b = await body(req, max)
        if (!b) return fail(res, 413, `Blob over ${max} bytes.`, 'too_large')
        const hash = keccak256(bytesToHex(b))
        if (!blobs.has(hash)) {
          blobs.set(hash, b)
          if (p.dir) writeFileSync(join(p.dir, 'blob', hash), b)
        }
        res.writeHead(201, { 'content-type': 'application/json' })
        return res.end(JSON.stringify({ uri: `${base}/v1/blob/${hash}`, hash }))
      }
      if (kind === 'blob' && req.method === 'GET') {
        if (!HASH.test(name))
          return fail(res, 400, 'A blob is named by its 0x hash.', 'bad_hash')
        const b = blobs.get(name)
        if (!b) return fail(res, 404, `No blob ${name}.`, 'not_found')
        res.writeHead(200, { 'content-type': 'application/octet-stream' })
        return res.end(b)
      }
      if (kind === 'slot' && SLOT.test(name) && !name.includes('..')) {
        if (req.method === 'GET') {
          res.writeHead(200, { 'content-type': 'application/json' })
          return res.end(JSON.stringify(slots.get(name) ?? []))
        }
        if (req.method === 'POST') {
          const b = await body(req, max)
          if (!b) return fail(res, 413, `Entry over ${max} bytes.`, 'too_large')
          let entry: unknown
          try {
            entry = JSON.parse(b.toString('utf8'))
          } catch {
            return fail(res, 400, 'A slot entry is JSON.', 'bad_json')
          }
          const list = slots.get(name) ?? []
          list.push(entry)
          slots.set(name, list)
          if (p.dir)
            appendFileSync(slotFile(name), `${JSON.stringify(entry)}\n`)
          res.writeHead(201, { 'content-type': 'application/json' })
          return res.end(JSON.stringify({ count: list.length }))
        }
      }
      return fail(res, 400, `Bad ${req.method} ${url.pathname}.`, 'bad_request')
    } catch (e) {
      if (!res.headersSent)
        fail(res, 400, (e as Error).message.split('\n')[0] ?? '', 'bad_request')
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(p.port ?? 0, p.host ?? '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as { port: number }
  base = `http://${p.host ?? '127.0.0.1'}:${port}`
  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= new Promise<void>((r) => {
      server.closeAllConnections()
      server.close(() => r())
    })
    return closing
  }
  if (p.dir && !existsSync(p.dir)) mkdirSync(p.dir, { recursive: true })
  return { url: base, port, close, [Symbol.asyncDispose]: close }
}
