// A SentencePiece tokenizer (GGUF `tokenizer.ggml.model = llama`: Gemma,
// Mistral 7B, Phi-3, Llama 2) for @huggingface/tokenizers, equivalent to
// llama.cpp's: spaces become ▁ (and one is prepended when add_space_prefix),
// then adjacent symbols merge, highest-scoring resulting piece first and
// leftmost on ties, and characters outside the vocabulary fall back to
// <0xNN> byte tokens.
//
// That is BPE in which any pair whose concatenation is a piece merges,
// ranked by the piece's score. Equal scores share a rank so that ties go to
// the leftmost pair as in llama.cpp, which a merges list cannot say: the
// ranks are set on the model directly (mergeRanks.ts).
import { Tokenizer } from '@huggingface/tokenizers'
import { addedTokens } from './addedTokens.ts'
import type { BuiltTokenizer } from './fromGgufBpe.ts'
import type { GgufVocab } from './ggufVocab.ts'
import { installVocab, SpmMergeRanks } from './mergeRanks.ts'

export function fromGgufSpm(vocab: GgufVocab): BuiltTokenizer {
  const addSpacePrefix = vocab.flag('add_space_prefix') ?? true
  const unkId = vocab.specialId('unk')
  const json = {
    version: '1.0',
    added_tokens: addedTokens(vocab),
    normalizer: {
      type: 'Sequence',
      normalizers: [
        ...(addSpacePrefix ? [{ type: 'Prepend', prepend: '▁' }] : []),
        { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
      ],
    },
    pre_tokenizer: null,
    post_processor: null,
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        ...(addSpacePrefix
          ? [{ type: 'Strip', content: ' ', start: 1, stop: 0 }]
          : []),
      ],
    },
    model: {
      type: 'BPE',
      vocab: {},
      merges: [],
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: true,
      ignore_merges: false,
    },
  }
  const tokenizer = new Tokenizer(json, { clean_up_tokenization_spaces: false })
  const unk = unkId !== undefined ? vocab.tokens[unkId] : undefined
  installVocab(tokenizer, vocab, new SpmMergeRanks(vocab), unk)
  return {
    tokenizer,
    bosId: vocab.specialId('bos'),
    eosId: vocab.specialId('eos'),
    addBos: vocab.flag('add_bos_token') ?? true,
    addEos: vocab.flag('add_eos_token') ?? false,
  }
}
