// The `tokenizer.ggml.*` metadata of a GGUF read into one typed value, with
// the token attributes llama.cpp derives on load: control tokens recognised
// by their text, the end-of-generation set, and its special-token defaults.
import { ModelLoadError } from '../errors.ts'
import type { NativeMetadataValue } from '../native.ts'
import {
  ALWAYS_RENDERED_TEXTS,
  EOG_TEXTS,
  FIM_EOG_TEXTS,
  FIM_TEXTS,
} from './specialTokenTexts.ts'

/** Native metadata, or the same keys from JSON (arrays, booleans). */
export type GgufMetadata = Record<
  string,
  NativeMetadataValue | number[] | boolean
>

/** llama.cpp token attributes (from GGUF token types 1..6). */
export const Attr = {
  normal: 1,
  unknown: 2,
  control: 4,
  userDefined: 8,
  unused: 16,
  byte: 32,
} as const

export type GgufVocab = {
  /** `tokenizer.ggml.model`: gpt2 (BPE) or llama (SentencePiece). */
  model: string
  pre: string | undefined
  tokens: string[]
  /** Token text -> id; the last id wins for duplicate texts, as in llama.cpp. */
  ids: Map<string, number>
  attrs: Uint8Array
  scores: ArrayLike<number> | undefined
  merges: string[]
  /** A special-token id: `tokenizer.ggml.<kind>_token_id`, else llama.cpp's default. */
  specialId(kind: string): number | undefined
  /** The id the GGUF itself declares (no default). */
  declaredId(kind: string): number | undefined
  /** A GGUF boolean (`tokenizer.ggml.<key>`), if present. */
  flag(key: string): boolean | undefined
  /** `general.name`, lower-cased (llama.cpp keys a few quirks on it). */
  name: string
  /** Tokens that end generation (llama.cpp's EOG set). */
  eogIds: Set<number>
}

const TYPE_TO_ATTR: Record<number, number> = {
  1: Attr.normal,
  2: Attr.unknown,
  3: Attr.control,
  4: Attr.userDefined,
  5: Attr.unused,
  6: Attr.byte,
}

export function readGgufVocab(meta: GgufMetadata, path: string): GgufVocab {
  const raw = meta['tokenizer.ggml.tokens']
  if (!Array.isArray(raw) || raw.length === 0)
    throw new ModelLoadError(path, { details: 'GGUF has no vocabulary' })
  const n = raw.length
  const tokens = (raw as unknown[]).map((t, i) =>
    typeof t === 'string' && t !== '' ? t : `[EMPTY_${i}]`,
  )
  const types = numbers(meta['tokenizer.ggml.token_type'])
  const scores = numbers(meta['tokenizer.ggml.scores'])
  if ((types && types.length < n) || (scores && scores.length < n))
    throw new ModelLoadError(path, {
      details: 'GGUF token types or scores are shorter than the vocabulary',
    })
  const ids = new Map<string, number>()
  const attrs = new Uint8Array(n)
  for (let id = 0; id < n; id++) {
    ids.set(tokens[id] as string, id)
    attrs[id] = types ? (TYPE_TO_ATTR[types[id] as number] ?? 0) : Attr.normal
  }
  const model = String(meta['tokenizer.ggml.model'] ?? '')
  const declaredId = (kind: string) => {
    const v = meta[`tokenizer.ggml.${kind}_token_id`]
    return typeof v === 'number' && v >= 0 && v < n ? v : undefined
  }
  // llama.cpp's defaults when the GGUF names none (11 is GPT-2's "," but
  // llama.cpp uses it for BPE vocabularies all the same).
  const defaults: Record<string, number> =
    model === 'llama' ? { bos: 1, eos: 2, unk: 0 } : { bos: 11, eos: 11 }
  const specialId = (kind: string) => {
    const fallback = defaults[kind]
    return (
      declaredId(kind) ??
      (fallback !== undefined && fallback < n ? fallback : undefined)
    )
  }
  const flag = (key: string) => {
    const v = meta[`tokenizer.ggml.${key}`]
    return typeof v === 'number' || typeof v === 'boolean'
      ? Boolean(v)
      : undefined
  }
  const merges = meta['tokenizer.ggml.merges']
  const name = meta['general.name']
  return {
    model,
    pre:
      typeof meta['tokenizer.ggml.pre'] === 'string'
        ? meta['tokenizer.ggml.pre']
        : undefined,
    tokens,
    ids,
    attrs,
    scores,
    merges: Array.isArray(merges) ? (merges as string[]) : [],
    specialId,
    declaredId,
    flag,
    name: typeof name === 'string' ? name.toLowerCase() : '',
    eogIds: markSpecialTexts(ids, attrs, specialId),
  }
}

// llama.cpp promotes EOG and FIM texts to control tokens and collects the
// EOG set (it takes the first FIM text of each kind; we take them all).
function markSpecialTexts(
  ids: Map<string, number>,
  attrs: Uint8Array,
  specialId: (kind: string) => number | undefined,
): Set<number> {
  const eog = new Set<number>()
  for (const kind of ['fim_pad', 'fim_rep', 'fim_sep', 'eos', 'eot', 'eom']) {
    const id = specialId(kind)
    if (id !== undefined) eog.add(id)
  }
  for (const [text, id] of ids) {
    const fimEog = FIM_EOG_TEXTS.has(text)
    if (EOG_TEXTS.has(text) || fimEog || FIM_TEXTS.has(text))
      attrs[id] = (attrs[id] as number) | Attr.control
    if (EOG_TEXTS.has(text) || fimEog) eog.add(id)
    if (ALWAYS_RENDERED_TEXTS.has(text)) attrs[id] = Attr.userDefined
  }
  const has = (text: string) => {
    const id = ids.get(text)
    return id !== undefined && eog.has(id)
  }
  // o200k_harmony / solar-open: "<|end|>" ends a message, not generation.
  if (
    has('<|end|>') &&
    ((has('<|return|>') && has('<|call|>')) ||
      (has('<|calls|>') && has('<|flush|>')))
  ) {
    const id = ids.get('<|end|>') as number
    eog.delete(id)
    attrs[id] = Attr.userDefined
  }
  // Gemma 4 / PLaMo: "</s>" is an ordinary token there.
  if (has('</s>') && (has('<|tool_response>') || ids.has('<|plamo:eos|>'))) {
    const id = ids.get('</s>') as number
    eog.delete(id)
    attrs[id] = Attr.normal
  }
  return eog
}

function numbers(v: unknown): ArrayLike<number> | undefined {
  if (v instanceof Float64Array || Array.isArray(v))
    return v as ArrayLike<number>
  if (typeof v === 'number') return [v]
  return undefined
}
