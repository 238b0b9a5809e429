// Structured request logs: every request becomes one pino JSON record
// (method, path, status, ms, model, error), streamed live by GET
// /api/v1/logs/stream and printed by the real `pocket log stream`.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeServer } from '../../helpers/fakeServer.ts'

const BIN = fileURLToPath(new URL('../../../bin/pocket.js', import.meta.url))
let srv: Awaited<ReturnType<typeof startFakeServer>>
beforeAll(async () => {
  srv = await startFakeServer()
})
afterAll(() => srv.close())

const post = (path: string, body: unknown) =>
  fetch(`${srv.url}${path}`, { method: 'POST', body: JSON.stringify(body) })

/** Reads SSE `data:` records from the log stream until `count` arrived. */
async function readRecords(res: Response, count: number) {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader()
  const decoder = new TextDecoder()
  const records: Record<string, unknown>[] = []
  let buffer = ''
  while (records.length < count) {
    const { value, done } = await reader.read()
    if (done) break
    buffer += decoder.decode(value, { stream: true })
    const frames = buffer.split('\n\n')
    buffer = frames.pop() ?? ''
    for (const f of frames)
      if (f.startsWith('data: ')) records.push(JSON.parse(f.slice(6)))
  }
  await reader.cancel()
  return records
}

describe('request logs', () => {
  it('one record per request with status, duration, model and error', async () => {
    const stream = await fetch(`${srv.url}/api/v1/logs/stream`)
    expect(stream.headers.get('content-type')).toMatch(/event-stream/)
    const reading = readRecords(stream, 3)
    await post('/v1/chat/completions', {
      model: 'tiny-chat',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 3,
    })
    await post('/v1/chat/completions', { model: 'tiny-chat', messages: 'x' })
    await fetch(`${srv.url}/nowhere`)
    const [ok, bad, missing] = await reading
    expect(ok).toMatchObject({
      msg: 'request',
      method: 'POST',
      path: '/v1/chat/completions',
      status: 200,
      model: 'tiny-chat',
      level: 30,
    })
    expect(typeof ok?.ms).toBe('number')
    expect(bad).toMatchObject({ status: 400, level: 40 })
    expect(String(bad?.error)).toContain('messages')
    expect(missing).toMatchObject({ status: 404, path: '/nowhere' })
  })

  it('`pocket log stream --json` prints the records', async () => {
    const child = spawn(process.execPath, [
      BIN,
      'log',
      'stream',
      '--json',
      '--url',
      srv.url,
    ])
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    try {
      await new Promise<void>((resolve, reject) => {
        const started = setInterval(() => {
          if (err.includes('Streaming logs')) {
            clearInterval(started)
            resolve()
          }
        }, 50)
        child.once('exit', () => reject(new Error(`exited: ${err}`)))
      })
      await fetch(`${srv.url}/v1/models`)
      await new Promise<void>((resolve) => {
        const seen = setInterval(() => {
          if (out.includes('/v1/models')) {
            clearInterval(seen)
            resolve()
          }
        }, 50)
      })
      const record = JSON.parse(out.trim().split('\n')[0] as string)
      expect(record).toMatchObject({
        method: 'GET',
        path: '/v1/models',
        status: 200,
      })
    } finally {
      child.kill('SIGTERM')
    }
  })
})
