// Writes a random-weight llama GGUF of a real model's shape for benchmarks
// (both our engine and llama.cpp load it), once, into the cache, and prints
// its path. `npm run bench:random-model -- --shape llama-1b --type Q4_K_M`
// then `npm run bench:engine -- --model <that path>`.
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { getPocketHome } from '../src/models/paths.ts'
import {
  LLAMA_1B,
  type LlamaShape,
  TINY_LLAMA,
  writeRandomLlamaGguf,
} from '../test/helpers/randomLlamaGguf.ts'

const SHAPES: Record<string, LlamaShape> = {
  'llama-1b': LLAMA_1B,
  tiny: TINY_LLAMA,
}

const { values } = parseArgs({
  options: {
    shape: { type: 'string', default: 'llama-1b' },
    type: { type: 'string', default: 'Q4_K_M' },
  },
})
const shape = SHAPES[values.shape]
if (!shape) {
  console.error(
    `unknown --shape ${values.shape} (one of ${Object.keys(SHAPES).join(', ')})`,
  )
  process.exit(2)
}
const dir = join(getPocketHome(), 'bench', 'random-models')
mkdirSync(dir, { recursive: true })
const path = join(dir, `random-${values.shape}-${values.type}.gguf`)
if (!existsSync(path)) {
  process.stderr.write(`[bench] writing ${path}\n`)
  writeRandomLlamaGguf(path, {
    shape,
    type: values.type as Parameters<typeof writeRandomLlamaGguf>[1]['type'],
    // Llama 3.2 1B ties its embeddings (no output.weight).
    tiedEmbeddings: values.shape === 'llama-1b',
  })
}
console.log(path)
