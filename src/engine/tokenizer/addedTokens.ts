// The tokens matched in raw text before the model runs, as llama.cpp's
// tokenizer_st_partition does with parse_special: control, unknown and
// user-defined tokens. Control and unknown ones are "special" (skipped when
// decoding with skipSpecial); user-defined ones are rendered.
import { Attr, type GgufVocab } from './ggufVocab.ts'

const ADDED = Attr.control | Attr.unknown | Attr.userDefined

export type AddedTokenJson = {
  id: number
  content: string
  special: boolean
  single_word: boolean
  lstrip: boolean
  rstrip: boolean
  normalized: boolean
}

export function addedTokens(vocab: GgufVocab): AddedTokenJson[] {
  const out: AddedTokenJson[] = []
  for (const [content, id] of vocab.ids) {
    const attr = vocab.attrs[id] as number
    if (!(attr & ADDED)) continue
    out.push({
      id,
      content,
      special: (attr & (Attr.control | Attr.unknown)) !== 0,
      single_word: false,
      lstrip: false,
      rstrip: false,
      // Matched in the raw text, before spaces become ▁ or bytes.
      normalized: false,
    })
  }
  return out.sort((a, b) => a.id - b.id)
}

/** Control and unknown tokens: what decoding with skipSpecial leaves out. */
export function skippedIds(vocab: GgufVocab): Set<number> {
  const ids = new Set<number>()
  vocab.attrs.forEach((attr, id) => {
    if (attr & (Attr.control | Attr.unknown)) ids.add(id)
  })
  return ids
}

/**
 * llama.cpp drops the ASCII whitespace after Phi-3's special tokens (all
 * but <unk>, <s> and <|endoftext|>; keyed on the model name), including
 * whitespace another added token would match: done on the raw text, before
 * the tokenizer splits it.
 */
export function rightStripRaw(
  vocab: GgufVocab,
): ((text: string) => string) | undefined {
  if (!vocab.name.includes('phi-3') && !vocab.name.includes('phi3')) return
  const keep = new Set(['<unk>', '<s>', '<|endoftext|>'])
  const texts = [...vocab.ids]
    .filter(([t, id]) => (vocab.attrs[id] as number) & ADDED && !keep.has(t))
    .map(([t]) => t)
    .sort((a, b) => b.length - a.length)
  if (texts.length === 0) return
  const escaped = texts.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  const pattern = new RegExp(`(${escaped.join('|')})[ \\t\\n\\v\\f\\r]+`, 'g')
  return (text) => text.replace(pattern, '$1')
}
