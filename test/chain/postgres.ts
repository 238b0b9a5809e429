// A throwaway PostgreSQL server for the indexer E2E: Debian's `postgresql`
// binaries (initdb, pg_ctl), a cluster in a temp dir, listening on
// 127.0.0.1 on a free port with trust auth, dropped by stop(). PostgreSQL
// refuses to run as root, so under root (CI) the cluster belongs to the
// `postgres` system user (else `nobody`) and runs through runuser.
import { execFileSync, spawnSync } from 'node:child_process'
import {
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './indexerHarness.ts'

export type Postgres = { url: string; dir: string; stop: () => Promise<void> }

/** Where initdb/pg_ctl live: POCKET_PG_BIN, Debian's versioned dir, or PATH. */
export function postgresBin(): string {
  if (process.env.POCKET_PG_BIN) return process.env.POCKET_PG_BIN
  const debian = '/usr/lib/postgresql'
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => existsSync(join(debian, v, 'bin', 'pg_ctl')))
      .sort((a, b) => Number(b) - Number(a))
    if (versions[0]) return join(debian, versions[0], 'bin')
  }
  const which = spawnSync('sh', ['-c', 'command -v pg_ctl'], {
    encoding: 'utf8',
  })
  if (which.status === 0) return join(which.stdout.trim(), '..')
  throw new Error(
    'PostgreSQL not found: install it (apt-get install postgresql) or set POCKET_PG_BIN',
  )
}

function systemUser(): { name: string; uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined
  for (const name of ['postgres', 'nobody']) {
    const id = (flag: string) =>
      spawnSync('id', [flag, name], { encoding: 'utf8' })
    const uid = id('-u')
    if (uid.status === 0)
      return { name, uid: Number(uid.stdout), gid: Number(id('-g').stdout) }
  }
  throw new Error('running as root, but no postgres or nobody user to run as')
}

export async function startPostgres(): Promise<Postgres> {
  const bin = postgresBin()
  const user = systemUser()
  const dir = mkdtempSync(join(tmpdir(), 'pocket-pg-'))
  if (user) chownSync(dir, user.uid, user.gid)
  const run = (tool: string, args: string[]) => {
    const cmd = join(bin, tool)
    return user
      ? execFileSync('runuser', ['-u', user.name, '--', cmd, ...args], {
          encoding: 'utf8',
          stdio: 'pipe',
        })
      : execFileSync(cmd, args, { encoding: 'utf8', stdio: 'pipe' })
  }
  const data = join(dir, 'data')
  const port = await freePort()
  try {
    run('initdb', [
      '-D',
      data,
      '-A',
      'trust',
      '-U',
      'pocket',
      '-E',
      'UTF8',
      '--no-sync',
    ])
    run('pg_ctl', [
      '-D',
      data,
      '-l',
      join(dir, 'server.log'),
      '-o',
      `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off`,
      '-w',
      '-t',
      '60',
      'start',
    ])
  } catch (e) {
    rmSync(dir, { recursive: true, force: true })
    const err = e as { stderr?: string; message: string }
    throw new Error(`PostgreSQL did not start: ${err.stderr || err.message}`)
  }
  let stopped: Promise<void> | undefined
  return {
    url: `postgres://pocket@127.0.0.1:${port}/postgres`,
    dir,
    stop() {
      stopped ??= (async () => {
        try {
          run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop'])
        } catch {}
        rmSync(dir, { recursive: true, force: true })
      })()
      return stopped
    },
  }
}
