// GGUF tokenizers against llama.cpp: a byte-level BPE vocabulary under every
// supported `tokenizer.ggml.pre` and a SentencePiece vocabulary under several
// flag sets, tokenized by llama.cpp into test/fixtures/tokenizers-llamacpp.json
// (scripts/fixtures/tokenizers_llamacpp.sh regenerates it). Same ids for
// every text, BOS/EOS as llama.cpp adds them, and decoding round-trips.
import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import {
  ModelLoadError,
  UnsupportedModelError,
} from '../../../src/engine/errors.ts'
import type { GgufMetadata } from '../../../src/engine/tokenizer/ggufVocab.ts'
import { SUPPORTED_PRE_TOKENIZERS } from '../../../src/engine/tokenizer/preTokenizers.ts'
import { TextTokenizer } from '../../../src/engine/tokenizer.ts'

type Result = { ids: number[][]; idsWithSpecial: number[][] }
type Case = { name: string; metadata: GgufMetadata; result: number }
type Part = { metadata: GgufMetadata; cases: Case[]; results: Result[] }
type Fixture = {
  texts: string[]
  specialTexts: number[]
  bpe: Part & { unknownPre: { pre: string; llamaCppRefused: boolean } }
  spm: Part
}

const fixture: Fixture = JSON.parse(
  readFileSync(
    new URL('../../fixtures/tokenizers-llamacpp.json', import.meta.url),
    'utf8',
  ),
)
const { texts, specialTexts } = fixture

function build(part: Part, c: Case): TextTokenizer {
  return TextTokenizer.fromGguf({ ...part.metadata, ...c.metadata }, c.name)
}

function expectLlamaCppIds(part: Part, c: Case) {
  const tokenizer = build(part, c)
  const want = part.results[c.result] as Result
  expect(texts.map((t) => tokenizer.encode(t))).toEqual(want.ids)
  expect(
    specialTexts.map((i) =>
      tokenizer.encode(texts[i] as string, { addSpecial: true }),
    ),
  ).toEqual(want.idsWithSpecial)
  return tokenizer
}

// Texts holding an added token's text (control or user-defined).
function addedTexts(part: Part): string[] {
  const tokens = part.metadata['tokenizer.ggml.tokens'] as string[]
  const types = part.metadata['tokenizer.ggml.token_type'] as number[]
  return tokens.filter((_, id) => (types[id] as number) >= 2 && types[id] !== 6)
}

describe('byte-level BPE (tokenizer.ggml.model = gpt2)', () => {
  test.each(fixture.bpe.cases.map((c) => [c.name, c] as const))(
    'pre "%s": the ids llama.cpp gives, and decoding round-trips',
    (_, c) => {
      const tokenizer = expectLlamaCppIds(fixture.bpe, c)
      for (const text of texts)
        expect(
          tokenizer.decode(tokenizer.encode(text), { skipSpecial: false }),
        ).toBe(text)
    },
  )

  test('every supported pre-tokenizer has a llama.cpp case', () => {
    const tested = new Set(
      fixture.bpe.cases.map((c) => c.metadata['tokenizer.ggml.pre']),
    )
    expect(SUPPORTED_PRE_TOKENIZERS.filter((p) => !tested.has(p))).toEqual([])
  })

  test('an unknown pre is an UnsupportedModelError naming it (llama.cpp refuses it too)', () => {
    const { pre, llamaCppRefused } = fixture.bpe.unknownPre
    expect(llamaCppRefused).toBe(true)
    for (const name of [pre, 'kimi-k2']) {
      const meta = { ...fixture.bpe.metadata, 'tokenizer.ggml.pre': name }
      const e = (() => {
        try {
          TextTokenizer.fromGguf(meta, 'x.gguf')
        } catch (err) {
          return err
        }
      })()
      expect(e).toBeInstanceOf(UnsupportedModelError)
      expect((e as Error).message).toContain(`"${name}"`)
    }
  })

  test('end-of-generation tokens: EOS first, then the texts llama.cpp promotes', () => {
    const c = fixture.bpe.cases.find((x) => x.name === 'llama-bpe') as Case
    const tokenizer = build(fixture.bpe, c)
    const tokens = fixture.bpe.metadata['tokenizer.ggml.tokens'] as string[]
    expect(tokenizer.special.eosIds.map((id) => tokens[id])).toEqual([
      '<|end_of_text|>',
      '<|eot_id|>',
      '<|endoftext|>',
    ])
    // "<|endoftext|>" is typed normal but matched as a special token.
    expect(tokenizer.encode('a<|endoftext|>')).toContain(
      tokenizer.tokenId('<|endoftext|>'),
    )
  })
})

describe('SentencePiece (tokenizer.ggml.model = llama)', () => {
  test.each(fixture.spm.cases.map((c) => [c.name, c] as const))(
    '%s: the ids llama.cpp gives, and decoding round-trips',
    (_, c) => {
      const tokenizer = expectLlamaCppIds(fixture.spm, c)
      // With a space prefix, every text after a special token gains a
      // leading space (llama.cpp and SentencePiece alike): those texts
      // cannot round-trip.
      const prefix = c.metadata['tokenizer.ggml.add_space_prefix'] !== false
      const added = addedTexts(fixture.spm)
      for (const text of texts) {
        if (prefix && added.some((a) => text.includes(a))) continue
        expect(
          tokenizer.decode(tokenizer.encode(text), { skipSpecial: false }),
        ).toBe(text)
      }
    },
  )

  test('decoding skips control tokens and turns byte tokens back into UTF-8', () => {
    const c = fixture.spm.cases.find((x) =>
      x.name.startsWith('gemma-like'),
    ) as Case
    const tokenizer = build(fixture.spm, c)
    const tokens = fixture.spm.metadata['tokenizer.ggml.tokens'] as string[]
    // 🚀 is not a piece: it falls back to its four UTF-8 bytes.
    const ids = tokenizer.encode('<start_of_turn>🚀')
    expect(ids.slice(1).map((id) => tokens[id])).toEqual([
      '<0xF0>',
      '<0x9F>',
      '<0x9A>',
      '<0x80>',
    ])
    expect(tokenizer.decode(ids)).toBe('🚀')
  })
})

describe('bad metadata', () => {
  test('an unknown tokenizer model is an UnsupportedModelError naming it', () => {
    const meta = { ...fixture.spm.metadata, 'tokenizer.ggml.model': 'rwkv' }
    expect(() => TextTokenizer.fromGguf(meta, 'x.gguf')).toThrow(
      UnsupportedModelError,
    )
    expect(() => TextTokenizer.fromGguf(meta, 'x.gguf')).toThrow('"rwkv"')
  })

  test('a GGUF without a vocabulary is a ModelLoadError', () => {
    expect(() =>
      TextTokenizer.fromGguf({ 'tokenizer.ggml.model': 'llama' }, 'x.gguf'),
    ).toThrow(ModelLoadError)
  })
})
