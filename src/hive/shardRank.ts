// One rank process as the coordinator sees it: its IPC messages, heartbeat,
// exit and the tail of its stderr (which says whether MLX's ring aborted it
// because a neighbour went away).
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { FromRank, ToRank } from './shardWorker.ts'

export type RankSpawnArgs = {
  memberId: string
  rank: number
  /** MLX_RANK and MLX_HOSTFILE (absent for a group of one). */
  env: Record<string, string>
}

/** Starts a rank's process for a member (the default forks it locally). */
export type RankSpawn = (args: RankSpawnArgs) => ChildProcess

const workerPath = fileURLToPath(new URL('./shardWorker.ts', import.meta.url))

export const spawnLocalRank: RankSpawn = ({ env }) =>
  fork(workerPath, [], {
    env: { ...process.env, ...env },
    execArgv: [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })

export class RankProcess {
  lastBeat = Date.now()
  exit: { code: number | null; signal: NodeJS.Signals | null } | null = null
  stderrTail = ''
  readonly exited: Promise<void>
  private listeners = new Set<(m: FromRank | { type: 'exit' }) => void>()

  readonly memberId: string
  readonly rank: number
  readonly child: ChildProcess

  constructor(memberId: string, rank: number, child: ChildProcess) {
    this.memberId = memberId
    this.rank = rank
    this.child = child
    child.on('message', (m: FromRank) => {
      this.lastBeat = Date.now()
      for (const l of this.listeners) l(m)
    })
    child.stderr?.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-4096)
    })
    child.stdout?.resume()
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exit = { code, signal }
        for (const l of this.listeners) l({ type: 'exit' })
        resolve()
      })
    })
    child.on('error', () => {}) // a failed spawn also emits 'exit'
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  send(m: ToRank): void {
    if (this.exit || !this.child.connected) return
    try {
      this.child.send(m)
    } catch {
      // the channel closed under us: 'exit' follows
    }
  }

  on(fn: (m: FromRank | { type: 'exit' }) => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  /** Died because MLX's ring lost a neighbour (not a fault of this member). */
  get ringCascade(): boolean {
    return (
      this.exit !== null &&
      this.exit.signal === 'SIGABRT' &&
      this.stderrTail.includes('[ring]')
    )
  }

  describeExit(): string {
    if (!this.exit) return 'running'
    const how = this.exit.signal
      ? `killed by ${this.exit.signal}`
      : `exited with code ${this.exit.code}`
    const tail = this.stderrTail.trim().split('\n').slice(-3).join(' | ')
    return tail ? `${how} (${tail})` : how
  }

  /** SIGKILL: a rank blocked in a ring recv ignores anything gentler. */
  async kill(): Promise<void> {
    if (!this.exit) this.child.kill('SIGKILL')
    await this.exited
  }
}
