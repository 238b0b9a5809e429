// Builds the tokenizer a GGUF describes in its `tokenizer.ggml.*` metadata,
// token for token what llama.cpp would produce: byte-level BPE (`gpt2`,
// pre-tokenizer by `tokenizer.ggml.pre`) or SentencePiece (`llama`).
import type { Tokenizer } from '@huggingface/tokenizers'
import { UnsupportedModelError } from '../errors.ts'
import type { SpecialTokens, TextTokenizerOptions } from '../tokenizer.ts'
import { rightStripRaw, skippedIds } from './addedTokens.ts'
import { type BuiltTokenizer, fromGgufBpe } from './fromGgufBpe.ts'
import { fromGgufSpm } from './fromGgufSpm.ts'
import { type GgufMetadata, readGgufVocab } from './ggufVocab.ts'

export type GgufTokenizer = TextTokenizerOptions & {
  tokenizer: Tokenizer
  special: SpecialTokens
}

export function tokenizerFromGguf(
  meta: GgufMetadata,
  path: string,
): GgufTokenizer {
  const vocab = readGgufVocab(meta, path)
  let built: BuiltTokenizer
  if (vocab.model === 'gpt2') built = fromGgufBpe(vocab)
  else if (vocab.model === 'llama') built = fromGgufSpm(vocab)
  else
    throw new UnsupportedModelError(
      `GGUF tokenizer "${vocab.model}" (tokenizer.ggml.model) is not supported.`,
      {
        details: 'Supported: gpt2 (byte-level BPE) and llama (SentencePiece).',
      },
    )
  const { bosId, eosId } = built
  // EOS first: it names the chat template's eos_token.
  const eosIds = [...new Set([eosId, ...vocab.eogIds])].filter(
    (id): id is number => id !== undefined,
  )
  return {
    tokenizer: built.tokenizer,
    prepare: rightStripRaw(vocab),
    specialIds: skippedIds(vocab),
    special: {
      bosId,
      eosIds,
      bosToken: bosId !== undefined ? vocab.tokens[bosId] : undefined,
      eosToken: eosId !== undefined ? vocab.tokens[eosId] : undefined,
      addBos: built.addBos && bosId !== undefined,
      addEos: built.addEos && eosId !== undefined,
    },
  }
}
