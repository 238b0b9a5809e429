// `pocket start` (= `npm start`) end to end, as CI runs it: the bounded mode
// brings up chain, indexer, node, auditor and jurors with real SmolLM2,
// verifies and pays every task and prints the indexer's reputation view;
// a SIGINT while it is starting leaves no hardhat or Ponder process behind.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
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

/** Running (a zombie whose parent is gone has exited: init reaps it, or not). */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return (
      stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
    )
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
    expect(stdout).toMatch(/paid 2 POCKET at settlement/)
  }, 360_000)

  // Ctrl-C at three points: Ponder still starting, tasks in flight (daemons
  // and the model busy), and the --keep serving phase after the report
  it.each([
    { when: 'while Ponder starts', args: [], at: /chain up/, code: 130 },
    { when: 'with a task in flight', args: [], at: /task 1 posted/, code: 130 },
    { when: 'while serving (--keep)', args: ['--keep'], at: /Ctrl-C/, code: 0 },
  ])(
    'SIGINT $when stops chain, indexer and daemons',
    async (c) => {
      const port = await freePort()
      const run = pocket([
        'start',
        '--tasks',
        '1',
        '-n',
        '8',
        '--port',
        String(port),
        ...(c.args.length ? c.args : ['--exit']),
      ])
      const pid = run.child.pid as number
      let seen: { pid: number; args: string }[] = []
      await until(
        () => {
          seen = descendants(pid)
          return (
            c.at.test(run.out.stdout) &&
            seen.some((p) => p.args.includes(`--port ${port}`)) &&
            seen.some((p) => p.args.includes('ponder'))
          )
        },
        `${c.at} with hardhat and ponder running`,
        run.child,
      )
      run.child.kill('SIGINT')
      const code = await run.exited
      expect(code, run.out.stdout + run.out.stderr).toBe(c.code)
      expect(run.out.stdout).toMatch(/SIGINT: stopping/)
      expect(run.out.stdout).toMatch(/stopped: daemons, indexer and chain/)
      expect(seen.filter((p) => alive(p.pid))).toEqual([])
      const leftovers = execFileSync('ps', ['-eo', 'pid=,args='], {
        encoding: 'utf8',
      })
        .split('\n')
        .filter((l) => l.includes(`--port ${port}`))
      expect(leftovers).toEqual([])
    },
    240_000,
  )
})
