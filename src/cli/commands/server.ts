// `pocket server start|stop|status`: `pocket serve` as a background process
// (like `lms server start`). start spawns it detached, logging to
// $POCKET_HOME/server.log, waits until it listens and remembers the port
// for the next start; stop sends SIGTERM and waits for it to exit; status
// says whether one runs (`--json`: {"running", "port", "url"}).
import { spawn } from 'node:child_process'
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'
import { getPocketHome } from '../../models/paths.ts'
import { UsageError } from '../errors.ts'
import { parseInteger } from '../parseOptions.ts'
import { readServerState, type ServerState } from '../serverState.ts'

const BIN = fileURLToPath(new URL('../../../bin/pocket.js', import.meta.url))
const settingsFile = () => join(getPocketHome(), 'server-settings.json')
const logFile = () => join(getPocketHome(), 'server.log')

type StartFlags = {
  port?: number
  host?: string
  cors?: boolean
  apiKey?: string
  timeout: number
}

export function registerServer(program: Command): void {
  const server = program
    .command('server')
    .description('Run the HTTP server in the background (start, stop, status)')
  server
    .command('start')
    .description('Start `pocket serve` in the background')
    .option(
      '-p, --port <port>',
      'port (default: the last one used, else 1234)',
      parseInteger,
    )
    .option('--host <address>', 'address to bind')
    .option('--cors', 'allow browser clients from any origin')
    .option('--api-key <key>', 'require this API key')
    .option(
      '--timeout <seconds>',
      'how long to wait for it to listen',
      parseInteger,
      120,
    )
    .action(async (flags: StartFlags) => {
      await start(flags)
    })
  server
    .command('stop')
    .description('Stop the background server')
    .action(async () => {
      await stop()
    })
  server
    .command('status')
    .description('Whether a server is running, and where')
    .option('--json', 'print {"running", "port", "url"}')
    .action((flags: { json?: boolean }) => {
      const state = readServerState()
      if (flags.json) {
        console.log(
          JSON.stringify(
            state
              ? { running: true, port: portOf(state), url: state.url }
              : { running: false },
          ),
        )
      } else if (state)
        console.log(
          `The server is running on port ${portOf(state)} (${state.url}).`,
        )
      else console.log('The server is not running.')
    })
}

const portOf = (s: ServerState) => Number(new URL(s.url).port)

function lastPort(): number | undefined {
  try {
    const { port } = JSON.parse(readFileSync(settingsFile(), 'utf8'))
    return Number.isInteger(port) ? port : undefined
  } catch {
    return undefined
  }
}

async function start(flags: StartFlags): Promise<void> {
  const running = readServerState()
  if (running) {
    console.log(
      `The server is already running on port ${portOf(running)} (${running.url}).`,
    )
    return
  }
  const port = flags.port ?? lastPort() ?? 1234
  const args = ['serve', '--port', String(port)]
  if (flags.host) args.push('--host', flags.host)
  if (flags.cors) args.push('--cors')
  if (flags.apiKey) args.push('--api-key', flags.apiKey)
  mkdirSync(getPocketHome(), { recursive: true })
  const log = openSync(logFile(), 'a')
  const child = spawn(process.execPath, [BIN, ...args], {
    detached: true,
    stdio: ['ignore', log, log],
    env: process.env,
  })
  let exited: number | null | undefined
  child.once('exit', (code) => {
    exited = code
  })
  const deadline = Date.now() + flags.timeout * 1000
  while (Date.now() < deadline) {
    const state = readServerState()
    if (state && state.pid === child.pid) {
      child.unref()
      writeFileSync(settingsFile(), `${JSON.stringify({ port })}\n`)
      console.log(
        `Started the server on port ${portOf(state)} (${state.url}); log: ${logFile()}`,
      )
      return
    }
    if (exited !== undefined)
      throw new UsageError(
        `The server exited (code ${exited}); see ${logFile()}.`,
      )
    await new Promise((r) => setTimeout(r, 200))
  }
  child.kill('SIGTERM')
  throw new UsageError(
    `The server did not start within ${flags.timeout} s; see ${logFile()}.`,
  )
}

async function stop(): Promise<void> {
  const found = readServerState()
  if (!found) {
    console.log('The server is not running.')
    return
  }
  const state = found
  process.kill(state.pid, 'SIGTERM')
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    try {
      process.kill(state.pid, 0)
    } catch {
      console.log(`Stopped the server on port ${portOf(state)}.`)
      return
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new UsageError(
    `The server (pid ${state.pid}) did not stop within 30 s.`,
  )
}
