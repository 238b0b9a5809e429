// The cheat set's cheaper models, written once from the real SmolLM2 Q4_1
// GGUF into ~/.cache/pocketcloudmlx/audit-cheats/: every Q4_1 tensor
// requantized to Q4_0 (llama.cpp's reference quantizer), and the model
// without two middle transformer blocks (14 and 15 of 30). A cheater runs
// these and claims the real model's digest.
import { existsSync, mkdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import {
  dropBlocks,
  requantizeQ4_1ToQ4_0,
} from '../../test/helpers/cheatGguf.ts'
import { smollm2Path } from '../../test/helpers/models.ts'

export const DROPPED_BLOCKS = [14, 15]

/** Paths of the cheat models, written on first use. */
export function cheatModels(): { q4_0: string; drop2: string } {
  const dir = join(homedir(), '.cache', 'pocketcloudmlx', 'audit-cheats')
  mkdirSync(dir, { recursive: true })
  const q4_0 = join(dir, 'SmolLM2-135M-Instruct.Q4_0-from-Q4_1.gguf')
  const drop2 = join(
    dir,
    'SmolLM2-135M-Instruct.Q4_1-without-blocks-14-15.gguf',
  )
  if (!existsSync(q4_0)) requantizeQ4_1ToQ4_0(smollm2Path(), q4_0)
  if (!existsSync(drop2)) dropBlocks(smollm2Path(), drop2, DROPPED_BLOCKS)
  return { q4_0, drop2 }
}

if (import.meta.main) console.log(cheatModels())
