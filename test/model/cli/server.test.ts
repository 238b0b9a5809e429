// `pocket server start|stop|status` with the real binary: start runs
// `pocket serve` in the background and returns once it listens, status
// reports it (text and --json), a second start says it is already running,
// the port is remembered for the next start, and stop ends the process.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runPocket } from './runPocket.ts'

let home: string
const saved = process.env.POCKET_HOME
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'pocket-server-'))
  process.env.POCKET_HOME = home
})
afterAll(async () => {
  await runPocket(['server', 'stop'])
  if (saved === undefined) delete process.env.POCKET_HOME
  else process.env.POCKET_HOME = saved
  await rm(home, { recursive: true, force: true })
})

const status = async () =>
  JSON.parse((await runPocket(['server', 'status', '--json'])).stdout)

describe('pocket server', () => {
  it('start, status, already running, stop', async () => {
    expect(await status()).toEqual({ running: false })
    const started = await runPocket(['server', 'start', '-p', '0'])
    expect(started.code, started.stderr).toBe(0)
    expect(started.stdout).toMatch(/Started the server on port \d+/)
    const s = await status()
    expect(s.running).toBe(true)
    expect(s.port).toBeGreaterThan(0)
    const models = await fetch(`${s.url}/v1/models`)
    expect(models.status).toBe(200)
    const text = await runPocket(['server', 'status'])
    expect(text.stdout).toContain(`running on port ${s.port}`)
    const again = await runPocket(['server', 'start'])
    expect(again.stdout).toContain('already running')
    expect(
      JSON.parse(await readFile(join(home, 'server-settings.json'), 'utf8')),
    ).toEqual({ port: 0 })
    const stopped = await runPocket(['server', 'stop'])
    expect(stopped.stdout).toContain(`Stopped the server on port ${s.port}`)
    expect(await status()).toEqual({ running: false })
    await expect(fetch(`${s.url}/v1/models`)).rejects.toThrow()
    expect((await runPocket(['server', 'stop'])).stdout).toContain(
      'not running',
    )
  })
})
