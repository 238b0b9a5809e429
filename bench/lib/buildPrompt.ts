// Builds a prompt of exactly N tokens with the model's own tokenizer: a
// window of a fixed text whose decoded string re-encodes to the same N ids,
// so the engine (which takes text) and the peers (which take ids) see the
// same tokens.
import type { Model } from '../../src/engine/model.ts'

const TEXT = `The river rose slowly through the spring, carrying silt from the
hills down to the plain where the farmers waited. Each morning the old
ferryman measured the water against a painted post and wrote the number in
a ledger that his grandmother had started. Nobody read the ledger, but
everyone asked him what it said. When the water reached the red mark the
village moved its goats to the upper pasture, and when it reached the black
mark they carried the school books into the church tower. `

export function buildPrompt(
  model: Model,
  n: number,
): { text: string; ids: number[] } {
  const source = model.tokenize(TEXT.repeat(Math.ceil((n * 2) / 100) + 2))
  for (let start = 0; start + n <= source.length; start++) {
    const text = model.detokenize(source.slice(start, start + n))
    const ids = model.tokenize(text)
    if (ids.length === n) return { text, ids }
  }
  throw new Error(`cannot build a prompt of exactly ${n} tokens`)
}
