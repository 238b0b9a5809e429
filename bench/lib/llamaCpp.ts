// llama.cpp's own tools as peers: `llama-bench` (prefill and decode, same
// GGUF, same threads) and `llama-server -np N` (continuous batching), built
// by scripts/peers/build-llamacpp.sh from the llama.cpp vendored in the
// pinned llama-cpp-python sdist, into a cache outside the repository.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  type BenchServer,
  freePort,
  stopChild,
  waitForLine,
} from './benchServers.ts'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const SCRIPT = join(ROOT, 'scripts', 'peers', 'build-llamacpp.sh')

/** The folder holding llama-bench and llama-server; builds them once (minutes). */
export function llamaCppBin(): string {
  const cached = spawnSync('bash', [SCRIPT, '--print-dir'], {
    encoding: 'utf8',
  }).stdout.trim()
  if (existsSync(join(cached, 'llama-bench'))) return cached
  process.stderr.write(
    '[bench] building llama.cpp (llama-bench, llama-server) once; this takes a while\n',
  )
  const r = spawnSync('bash', [SCRIPT], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  if (r.status !== 0) throw new Error(`${SCRIPT} failed (exit ${r.status})`)
  return r.stdout.trim().split('\n').at(-1) as string
}

export type LlamaBenchRow = {
  nPrompt: number
  nGen: number
  nDepth: number
  /** tokens per second of each repetition */
  samples: number[]
  avgTps: number
}

/** Runs llama-bench once; every (prompt, gen, depth) combination it measures. */
export function llamaBench(
  gguf: string,
  args: {
    prompt: number[]
    gen: number[]
    depth?: number[]
    reps: number
    threads: number
  },
): { rows: LlamaBenchRow[]; build: string } {
  const argv = [
    '-m',
    gguf,
    '-t',
    String(args.threads),
    '-p',
    args.prompt.join(','),
    '-n',
    args.gen.join(','),
    '-d',
    (args.depth ?? [0]).join(','),
    '-r',
    String(args.reps),
    '-o',
    'json',
  ]
  const r = spawnSync(join(llamaCppBin(), 'llama-bench'), argv, {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    // OpenMP's spin-waiting collapses on a shared 2-core machine (tg 22 vs
    // 53 tok/s measured here): give the peer its better setting.
    env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' },
  })
  if (r.status !== 0)
    throw new Error(`llama-bench failed: ${r.stderr.slice(-400)}`)
  const tests = JSON.parse(r.stdout) as {
    n_prompt: number
    n_gen: number
    n_depth?: number
    avg_ts: number
    samples_ts: number[]
    build_commit?: string
    build_number?: number
  }[]
  return {
    rows: tests.map((t) => ({
      nPrompt: t.n_prompt,
      nGen: t.n_gen,
      nDepth: t.n_depth ?? 0,
      samples: t.samples_ts,
      avgTps: t.avg_ts,
    })),
    build: `${tests[0]?.build_number ?? '?'} (${tests[0]?.build_commit ?? '?'})`,
  }
}

/** llama.cpp's server with `parallel` slots (continuous batching). */
export async function startLlamaCppServer(
  gguf: string,
  options: { parallel: number; threads?: number; contextPerSlot?: number },
): Promise<BenchServer> {
  const port = await freePort()
  const threads = options.threads ?? 2
  const ctx = options.parallel * (options.contextPerSlot ?? 2048)
  const child = spawn(
    join(llamaCppBin(), 'llama-server'),
    [
      '-m',
      gguf,
      '-a',
      'smollm2',
      '-t',
      String(threads),
      '-tb',
      String(threads),
      '-c',
      String(ctx),
      '-np',
      String(options.parallel),
      '-cb',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' },
    },
  )
  const stop = () => stopChild(child)
  try {
    await waitForLine(child, /listening on/)
    const url = `http://127.0.0.1:${port}`
    // It listens before the model is loaded (503 until then).
    for (let i = 0; ; i++) {
      const ok = await fetch(`${url}/health`).then(
        (r) => r.ok,
        () => false,
      )
      if (ok) break
      if (i > 600) throw new Error('llama-server never became healthy')
      await new Promise((r) => setTimeout(r, 100))
    }
    return {
      name: `llama-server -np ${options.parallel}`,
      url,
      pid: child.pid as number,
      model: 'smollm2',
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}
