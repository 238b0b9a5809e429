// `pocket start` (= `npm start`) end to end, as CI runs it: the bounded mode
// brings up chain, indexer, node, auditor and jurors with real SmolLM2,
// verifies and pays every task and prints the indexer's reputation view;
// a SIGINT while it is starting leaves no hardhat or Ponder process behind.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { freePort } from '../../src/marketplace/startLocalChain.ts'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

function pocket(args: string[]) {
  const child = spawn(process.execPath, ['bin/pocket.js', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const out = { stdout: '', stderr: '' }
  child.stdout?.on('data', (d: Buffer) => {
    out.stdout += d.toString()
  })
  child.stderr?.on('data', (d: Buffer) => {
    out.stderr += d.toString()
  })
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))),
  )
  return { child, out, exited }
}

/** Every live descendant of `pid` (pid + command line), from `ps`. */
function descendants(pid: number): { pid: number; args: string }[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], {
    encoding: 'utf8',
  })
    .split('\n')
    .map((l) => l.trim().match(/^(\d+)\s+(\d+)\s+(.*)$/))
    .filter((m): m is RegExpMatchArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3] ?? '' }))
  const found: { pid: number; args: string }[] = []
  const queue = [pid]
  while (queue.length) {
    const parent = queue.shift()
    for (const r of rows)
      if (r.ppid === parent) {
        found.push(r)
        queue.push(r.pid)
      }
  }
  return found
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function until(check: () => boolean, what: string, child: ChildProcess) {
  for (let i = 0; i < 1200; i++) {
    if (check()) return
    if (child.exitCode !== null) throw new Error(`exited before ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe('pocket start', () => {
  it('runs 2 tasks end to end: verified, paid, reputation view', async () => {
    const run = pocket(['start', '--tasks', '2', '--exit', '-n', '24'])
    const timer = setTimeout(() => run.child.kill('SIGINT'), 330_000)
    const code = await run.exited
    clearTimeout(timer)
    const { stdout, stderr } = run.out
    expect(code, `${stdout}\n${stderr}`).toBe(0)
    expect(stdout).toMatch(/2\/2 tasks verified and paid/)
    expect(stdout.match(/verified ✓/g)).toHaveLength(2)
    expect(stdout.match(/^paid {5}1 POCKET to node/gm)).toHaveLength(2)
    expect(stdout.match(/^answer {3}\S+/gm)).toHaveLength(2)
    expect(stdout).toMatch(
      /local chain: advanced time \d+ s past the challenge/,
    )
    expect(stdout).toMatch(/indexer reputation view/)
    expect(stdout).toMatch(/counters: completed 2, timed out 0, slashed 0/)
    expect(stdout).toMatch(/withdrew 2 POCKET/)
  }, 360_000)

  it('SIGINT while starting stops the chain and the indexer', async () => {
    const port = await freePort()
    const run = pocket([
      'start',
      '--tasks',
      '1',
      '--exit',
      '--port',
      String(port),
    ])
    const pid = run.child.pid as number
    // interrupt once both servers exist (Ponder still starting up)
    let seen: { pid: number; args: string }[] = []
    await until(
      () => {
        seen = descendants(pid)
        return (
          seen.some((p) => p.args.includes(`--port ${port}`)) &&
          seen.some((p) => p.args.includes('ponder'))
        )
      },
      'hardhat and ponder to start',
      run.child,
    )
    run.child.kill('SIGINT')
    const code = await run.exited
    expect(code, run.out.stdout + run.out.stderr).toBe(130)
    expect(run.out.stdout).toMatch(/SIGINT: stopping/)
    expect(seen.filter((p) => alive(p.pid))).toEqual([])
    const leftovers = execFileSync('ps', ['-eo', 'pid=,args='], {
      encoding: 'utf8',
    })
      .split('\n')
      .filter((l) => l.includes(`--port ${port}`))
    expect(leftovers).toEqual([])
  }, 180_000)
})
