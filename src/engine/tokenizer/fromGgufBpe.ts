// A byte-level BPE tokenizer (GGUF `tokenizer.ggml.model = gpt2`) for
// @huggingface/tokenizers, equivalent to llama.cpp's: the pre-tokenizer
// regexes of `tokenizer.ggml.pre` applied in sequence, GPT-2 byte symbols,
// merges ranked by their order in the GGUF (see mergeRanks.ts).
import { Tokenizer } from '@huggingface/tokenizers'
import { addedTokens } from './addedTokens.ts'
import type { GgufVocab } from './ggufVocab.ts'
import { BpeMergeRanks, installVocab } from './mergeRanks.ts'
import { preTokenizerFor } from './preTokenizers.ts'

export type BuiltTokenizer = {
  tokenizer: Tokenizer
  bosId: number | undefined
  eosId: number | undefined
  addBos: boolean
  addEos: boolean
}

export function fromGgufBpe(vocab: GgufVocab): BuiltTokenizer {
  const pre = preTokenizerFor(vocab.pre)
  const json = {
    version: '1.0',
    added_tokens: addedTokens(vocab),
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        ...pre.regexes.map((regex) => ({
          type: 'Split',
          pattern: { Regex: regex },
          behavior: 'Isolated',
          invert: false,
        })),
        {
          type: 'ByteLevel',
          add_prefix_space: false,
          trim_offsets: false,
          use_regex: false,
        },
      ],
    },
    post_processor: null,
    decoder: { type: 'ByteLevel' },
    model: {
      type: 'BPE',
      vocab: {},
      merges: [],
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: pre.ignoreMerges,
    },
  }
  const tokenizer = new Tokenizer(json, { clean_up_tokenization_spaces: false })
  installVocab(tokenizer, vocab, new BpeMergeRanks(vocab.merges))
  return {
    tokenizer,
    bosId: pre.noDefaultBos ? vocab.declaredId('bos') : vocab.specialId('bos'),
    eosId: vocab.specialId('eos'),
    addBos: vocab.flag('add_bos_token') ?? pre.addBos,
    addEos: vocab.flag('add_eos_token') ?? false,
  }
}
