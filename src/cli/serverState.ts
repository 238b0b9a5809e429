// Where a running `pocket serve` can be found: `$POCKET_HOME/server.json`
// holds its pid and URL so `pocket ps/load/unload` talk to it.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { getPocketHome } from '../models/paths.ts'

export type ServerState = { pid: number; url: string; startedAt: string }

const file = () => join(getPocketHome(), 'server.json')

export function writeServerState(state: ServerState): void {
  mkdirSync(getPocketHome(), { recursive: true })
  writeFileSync(file(), `${JSON.stringify(state, null, 2)}\n`)
}

export function readServerState(): ServerState | null {
  try {
    const state = JSON.parse(readFileSync(file(), 'utf8')) as ServerState
    process.kill(state.pid, 0) // throws when the process is gone
    return state
  } catch {
    return null
  }
}

/** Removes the file if it still describes this process. */
export function clearServerState(pid = process.pid): void {
  try {
    const state = JSON.parse(readFileSync(file(), 'utf8')) as ServerState
    if (state.pid === pid) rmSync(file())
  } catch {
    // Nothing to clear.
  }
}
