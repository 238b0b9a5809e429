// The Python environment the peer harnesses run in: a venv in the cache
// (outside the repo), created and filled on first use so a benchmark works
// on a fresh machine. Building llama-cpp-python takes minutes on 2 cores.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'

export const VENV_PYTHON =
  process.env.POCKET_BENCH_PYTHON ??
  join(homedir(), '.cache', 'pocketcloudmlx', 'venv', 'bin', 'python')

/** Pinned peer packages, by the module each provides. */
export const PEER_PACKAGES: Record<string, string[]> = {
  llama_cpp: ['llama-cpp-python==0.3.36', 'numpy'],
  mlx: ['mlx==0.32.4', 'mlx-cpu==0.32.4'],
  numpy: ['numpy'],
  safetensors: ['safetensors', 'numpy'],
  tokenizers: ['tokenizers'],
  gguf: ['gguf==0.19.0'],
}

/** Makes sure `modules` import in the peer venv, installing what is missing. */
export function ensurePeerModules(modules: string[]): void {
  if (!existsSync(VENV_PYTHON)) {
    console.error(
      `[bench] creating the peer venv at ${dirname(dirname(VENV_PYTHON))}`,
    )
    execFileSync('python3', ['-m', 'venv', dirname(dirname(VENV_PYTHON))], {
      stdio: 'inherit',
    })
  }
  const missing = modules.filter(
    (m) =>
      spawnSync(VENV_PYTHON, ['-c', `import ${m}`], { stdio: 'ignore' })
        .status !== 0,
  )
  if (missing.length === 0) return
  const packages = [...new Set(missing.flatMap((m) => PEER_PACKAGES[m] ?? [m]))]
  console.error(
    `[bench] installing peer packages: ${packages.join(' ')} (first run only)`,
  )
  execFileSync(VENV_PYTHON, ['-m', 'pip', 'install', ...packages], {
    stdio: 'inherit',
    env: {
      ...process.env,
      CMAKE_ARGS: process.env.CMAKE_ARGS ?? '-DGGML_NATIVE=ON',
      MAKEFLAGS: '-j2',
    },
  })
}
