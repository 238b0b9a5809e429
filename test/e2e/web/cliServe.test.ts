// `pocket serve` itself (the CLI, as users start it) serves the web app at
// `/` with the CSP, keeps the API behind --api-key, prints the app's URL,
// and stops on SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WEB_CSP } from '../../../src/server/web/serveWebApp.ts'
import { ensureWebBuilt } from './buildWeb.ts'

const root = join(import.meta.dirname, '..', '..', '..')
let child: ChildProcess
let out = ''
let home: string
let url: string

describe('pocket serve serves the web app', () => {
  beforeAll(async () => {
    ensureWebBuilt()
    home = await mkdtemp(join(tmpdir(), 'pocket-home-'))
    child = spawn(
      process.execPath,
      [
        'bin/pocket.js',
        'serve',
        '--port',
        '0',
        '--api-key',
        'k1',
        '--log-level',
        'silent',
      ],
      {
        cwd: root,
        env: {
          ...process.env,
          POCKET_HOME: home,
          HF_HUB_CACHE: join(home, 'hub'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
    })
    child.stderr?.on('data', (d: Buffer) => {
      out += d.toString()
    })
    for (let i = 0; i < 600 && !/Web app: +(\S+)\//.test(out); i++) {
      if (child.exitCode !== null)
        throw new Error(`pocket serve exited:\n${out}`)
      await new Promise((r) => setTimeout(r, 100))
    }
    url = out.match(/Web app: +(\S+)\//)?.[1] as string
  })
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    }
    await rm(home, { recursive: true, force: true })
  })

  it('prints the URL and serves the page with the CSP', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const res = await fetch(`${url}/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-security-policy')).toBe(WEB_CSP)
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(await res.text()).toMatch(
      /<script type="module" crossorigin src="\/assets\//,
    )
  })

  it('keeps the API behind the key', async () => {
    expect((await fetch(`${url}/v1/models`)).status).toBe(401)
    const ok = await fetch(`${url}/v1/models`, {
      headers: { authorization: 'Bearer k1' },
    })
    expect(ok.status).toBe(200)
  })

  it('stops on SIGTERM', async () => {
    const exited = new Promise<number | null>((r) =>
      child.once('exit', (code) => r(code)),
    )
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
  })
})
