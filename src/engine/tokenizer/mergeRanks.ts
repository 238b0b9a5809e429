// Merge ranks for the BPE model of @huggingface/tokenizers, computed when
// a pair is first looked up instead of for every pair up front: building a
// 262k-piece SentencePiece vocabulary stays well under a second.
//
// The model asks `bpe_ranks.get(JSON.stringify([left, right]))`; a lower
// rank merges first and equal ranks go to the leftmost pair, which is
// llama.cpp's order for both BPE (merge rank) and SentencePiece (score).
import type { Tokenizer } from '@huggingface/tokenizers'
import type { GgufVocab } from './ggufVocab.ts'

const MISSING = -1
// Pairs remembered before the memo starts over (bounds a long-lived server).
const MEMO_LIMIT = 1 << 20

abstract class LazyRanks extends Map<string, number> {
  protected abstract rank(left: string, right: string): number | undefined

  override get(key: string): number | undefined {
    const known = super.get(key)
    if (known !== undefined) return known === MISSING ? undefined : known
    const [left, right] = parsePair(key)
    const rank = this.rank(left, right)
    if (this.size >= MEMO_LIMIT) this.clear()
    super.set(key, rank ?? MISSING)
    return rank
  }
}

/** GGUF `tokenizer.ggml.merges` ("a b", llama.cpp splits after the first character). */
export class BpeMergeRanks extends LazyRanks {
  #byText = new Map<string, number>()

  constructor(merges: readonly string[]) {
    super()
    for (let i = merges.length - 1; i >= 0; i--)
      this.#byText.set(merges[i] as string, i)
  }

  protected rank(left: string, right: string): number | undefined {
    // "a b c" is the pair (a, "b c"), never ("a b", c).
    if (left.includes(' ', 1)) return undefined
    return this.#byText.get(`${left} ${right}`)
  }
}

/** SentencePiece: any adjacent pair whose concatenation is a piece, by its score. */
export class SpmMergeRanks extends LazyRanks {
  #ids: Map<string, number>
  #rankById: Int32Array

  constructor(vocab: GgufVocab) {
    super()
    this.#ids = vocab.ids
    this.#rankById = scoreRanks(vocab.tokens.length, vocab.scores)
  }

  protected rank(left: string, right: string): number | undefined {
    const id = this.#ids.get(left + right)
    return id === undefined ? undefined : this.#rankById[id]
  }
}

/** Dense ranks, 0 for the highest score; equal scores share a rank. */
function scoreRanks(n: number, scores: ArrayLike<number> | undefined) {
  const ranks = new Int32Array(n)
  if (!scores) return ranks
  const sorted = Float64Array.from({ length: n }, (_, i) => scores[i] as number)
  sorted.sort()
  const distinct: number[] = []
  for (let i = n - 1; i >= 0; i--)
    if (distinct.at(-1) !== sorted[i]) distinct.push(sorted[i] as number)
  for (let id = 0; id < n; id++) {
    // Binary search in the descending list.
    const s = scores[id] as number
    let lo = 0
    let hi = distinct.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((distinct[mid] as number) > s) lo = mid + 1
      else hi = mid
    }
    ranks[id] = lo
  }
  return ranks
}

/** Inverse of JSON.stringify([left, right]), fast when nothing is escaped. */
function parsePair(key: string): [string, string] {
  if (!key.includes('\\')) {
    // Unescaped: the first quote after `["` closes the left side.
    const at = key.indexOf('"', 2)
    return [key.slice(2, at), key.slice(at + 3, -2)]
  }
  return JSON.parse(key) as [string, string]
}

// The public fields of the library's BPE model (its own declaration of BPE
// does not resolve under NodeNext module resolution).
type BpeModel = {
  tokens_to_ids: Map<string, number>
  vocab: string[]
  bpe_ranks: Map<string, number>
  unk_token?: string
  unk_token_id?: number
}

/**
 * Puts the vocabulary and the ranks into a BPE model built empty: the
 * library's own construction from a JSON vocabulary object takes seconds
 * at 262k entries.
 */
export function installVocab(
  tokenizer: Tokenizer,
  vocab: GgufVocab,
  ranks: Map<string, number>,
  unkToken?: string,
): void {
  const model = tokenizer.model as unknown as BpeModel
  model.tokens_to_ids = vocab.ids
  model.vocab = vocab.tokens
  model.bpe_ranks = ranks
  model.unk_token = unkToken
  model.unk_token_id =
    unkToken !== undefined ? vocab.ids.get(unkToken) : undefined
}
