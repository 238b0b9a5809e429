// llama.cpp's BPE pre-tokenizers, by GGUF `tokenizer.ggml.pre`: the regex
// lists of llama-vocab.cpp (each regex splits the pieces the previous one
// left, matches and gaps alike) and the per-type defaults it sets on load.
// An unknown `pre` is an error, as it is in llama.cpp.
import { UnsupportedModelError } from '../errors.ts'

export type PreTokenizer = {
  /** Applied in order; each splits every piece of the previous one. */
  regexes: string[]
  /** A word already in the vocabulary is one token (llama.cpp ignore_merges). */
  ignoreMerges: boolean
  /** llama.cpp's add_bos when the GGUF has no `add_bos_token`. */
  addBos: boolean
  /** No BOS id unless the GGUF names one (ChatGLM). */
  noDefaultBos: boolean
}

// The contractions of the original `(?i:'s|...)`, spelled out as llama.cpp does.
const CONTRACTIONS = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
const GPT2 =
  "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)"
const WS_TAIL = '\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+'
const LLAMA3 = `${CONTRACTIONS}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|${WS_TAIL}`
const QWEN2 = `${CONTRACTIONS}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|${WS_TAIL}`
const QWEN35 = `${CONTRACTIONS}|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|${WS_TAIL}`
const UPPER = '((?=[\\p{L}])([^a-z]))'
const LOWER = '((?=[\\p{L}])([^A-Z]))'
const GPT4O_TAIL = `\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|${WS_TAIL}`
const GPT4O = `[^\\r\\n\\p{L}\\p{N}]?${UPPER}*${LOWER}+${CONTRACTIONS}?|[^\\r\\n\\p{L}\\p{N}]?${UPPER}+${LOWER}*${CONTRACTIONS}?|${GPT4O_TAIL}`
const DEEPSEEK3_MAIN = `[!"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_\`{|}~][A-Za-z]+|[^\\r\\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+`
const BLOOM = ' ?[^(\\s|.,!?\u2026\u3002\uFF0C\u3001\u0964\u06D4\u060C)]+'
const NEWLINE_RUNS = '[^\\n]+|[\\n]+'
// llama.cpp's custom digit splitter (AFMoE, Tiny Aya): a run of digits is
// cut into groups of three from the right, and the text before the run
// stays glued to its first group.
const DIGIT_GROUPS = '[^\\p{N}]*\\p{N}{1,3}(?=(?:\\p{N}{3})*(?!\\p{N}))'

// Unicode White_Space outside ASCII (llama.cpp's whitespace set).
const WIDE_SPACES =
  '[\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]'

type Entry = Partial<PreTokenizer> & { pres: string[]; regexes: string[] }

const TABLE: Entry[] = [
  {
    pres: ['default'],
    regexes: ['[\\p{P}\\$\\+<=>\\^~\\|]+', GPT2, '\\p{N}+', '[0-9][0-9][0-9]'],
  },
  {
    pres: [
      'llama3',
      'llama-v3',
      'llama-bpe',
      'falcon3',
      'falcon-h1',
      'pixtral',
      'midm-2.0',
      'lfm2',
      'jina-v5-nano',
    ],
    regexes: [LLAMA3],
    ignoreMerges: true,
    addBos: true,
  },
  {
    pres: ['jais-2'],
    regexes: [
      `${CONTRACTIONS}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s{512}(?!\\S)|\\s{256}(?!\\S)|\\s{128}(?!\\S)|\\s{64}(?!\\S)|\\s{32}(?!\\S)|\\s{16}(?!\\S)|\\s{8}(?!\\S)|\\s{4}(?!\\S)|\\s{1,2}(?!\\S)|\\s{1}`,
    ],
  },
  { pres: ['dbrx', 'smaug-bpe'], regexes: [LLAMA3] },
  {
    pres: ['deepseek-llm'],
    regexes: [
      '[\r\n]',
      '\\s?[A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF\u0370-\u0373\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06\uFB13-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A\u{10400}-\u{1044F}\u{104B0}-\u{104D3}\u{104D8}-\u{104FB}\u{10C80}-\u{10CB2}\u{10CC0}-\u{10CF2}\u{118A0}-\u{118DF}\u{1E900}-\u{1E943}]+',
      '\\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+',
      '\\s+$',
      '[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+',
      '\\p{N}+',
    ],
  },
  {
    pres: ['deepseek-v3', 'hunyuan-dense', 'joyai-llm', 'hy_v4'],
    regexes: [
      '\\p{N}{1,3}',
      '[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+',
      `${DEEPSEEK3_MAIN}[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+`,
    ],
  },
  {
    pres: ['spark2_5'],
    regexes: [
      '\\p{N}{1,3}',
      '[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+',
      `${DEEPSEEK3_MAIN}|[\r\n]|\\s+(?!\\S)|\\s+`,
      '\\p{N}',
    ],
  },
  {
    pres: ['youtu'],
    regexes: [
      '[\uAC00-\uD7A3\u3131-\u318E]+|[\uFF01\u2026\u201C\u201D\u2018\u2019\u2014\uFF1A\uFF1B\uFF0C\u3001-\u303F\uFE30-\uFE4F]+|[\u3105-\u312F]+|[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+',
      `[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+${CONTRACTIONS}?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*${CONTRACTIONS}?|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|${WS_TAIL}`,
    ],
    ignoreMerges: true,
  },
  {
    pres: ['deepseek-coder'],
    regexes: [
      '[\r\n]',
      '\\s?\\p{L}+',
      '\\s?\\p{P}+',
      '[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+',
      '\\p{N}',
    ],
  },
  {
    pres: ['falcon'],
    regexes: ['[\\p{P}\\$\\+<=>\\^~\\|`]+', GPT2, '[0-9][0-9][0-9]'],
  },
  {
    pres: [
      'starcoder',
      'refact',
      'command-r',
      'smollm',
      'codeshell',
      'exaone',
      'minerva-7b',
      'mellum2',
    ],
    regexes: ['\\p{N}', GPT2],
  },
  {
    pres: [
      'gpt-2',
      'phi-2',
      'jina-es',
      'jina-de',
      'gigachat',
      'jina-v2-es',
      'jina-v2-de',
      'a.x-4.0',
      'mellum',
      'modern-bert',
      'jina-v1-en',
      'jina-v2-code',
      'roberta-bpe',
      'mpt',
      'olmo',
      'jais',
      'exaone4',
      'trillion',
      'granite-docling',
    ],
    regexes: [GPT2],
  },
  {
    pres: [
      'qwen2',
      'deepseek-r1-qwen',
      'kormo',
      'f2llmv2',
      'megrez',
      'stablelm2',
      'hunyuan',
      'solar-open',
    ],
    regexes: [QWEN2],
  },
  { pres: ['qwen35'], regexes: [QWEN35] },
  { pres: ['poro-chat', 'bloom', 'gpt3-finnish'], regexes: [BLOOM] },
  { pres: ['chatglm-bpe'], regexes: [LLAMA3], noDefaultBos: true },
  {
    pres: ['glm4', 'glm5'],
    regexes: [LLAMA3],
    noDefaultBos: true,
    ignoreMerges: true,
  },
  { pres: ['viking'], regexes: [BLOOM, '\\p{N}'] },
  {
    pres: ['tekken'],
    regexes: [
      `[^\\r\\n\\p{L}\\p{N}]?${UPPER}*${LOWER}+|[^\\r\\n\\p{L}\\p{N}]?${UPPER}+${LOWER}*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|${WS_TAIL}`,
    ],
    ignoreMerges: true,
    addBos: true,
  },
  {
    pres: ['chameleon'],
    regexes: [
      '<sentinel:[0-9]+>',
      '(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z',
      '([\\t\\n]|    |  )',
      '\\p{N}',
      '[\\p{P}!-/:-@\\[-`{-~]',
      GPT2,
    ],
    addBos: true,
  },
  {
    pres: ['gpt-4o', 'llama4', 'kanana2', 'talkie', 'minimax-m2'],
    regexes: [GPT4O],
  },
  {
    pres: ['granite-embed-multi-97m'],
    regexes: [GPT4O.replaceAll('(?=[\\p{L}])', '(?=[\\p{L}\\p{M}])')],
    ignoreMerges: true,
  },
  {
    pres: ['tiny_aya', 'cohere2moe'],
    regexes: [
      DIGIT_GROUPS,
      `[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+${CONTRACTIONS}?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*${CONTRACTIONS}?|${GPT4O_TAIL}`,
    ],
  },
  { pres: ['superbpe'], regexes: ['\\p{N}+', '(?=([0-9]{3})+(?![0-9]))'] },
  {
    pres: ['bailingmoe', 'bailingmoe2', 'llada-moe'],
    regexes: [
      "'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+",
    ],
  },
  {
    pres: ['seed-coder'],
    regexes: [
      `${CONTRACTIONS}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| ?[^\\s\\p{L}\\p{N}\\r\\n]+|${WS_TAIL}`,
    ],
  },
  {
    pres: ['ufakzeka'],
    regexes: [
      `[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|${WS_TAIL}`,
    ],
  },
  { pres: ['grok-2'], regexes: [QWEN2] },
  {
    pres: ['afmoe'],
    regexes: [
      DIGIT_GROUPS,
      '[\u4E00-\u9FFF\u3400-\u4DBF\u8C48-\uFAFF\u3040-\u309F\u30A0-\u30FF\uFF65-\uFF9F\u2F00-\u2FDF\u0E40-\u0E7F\u0E80-\u0EFF\u1780-\u17FF\u1000-\u109F\uAA60-\uAA7F\uA9E0-\uA9FF\uAC00-\uD7AF\u1100-\u11FF]+',
      `${DEEPSEEK3_MAIN}[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`,
    ],
  },
  { pres: ['laguna'], regexes: [NEWLINE_RUNS, QWEN2] },
  {
    pres: ['exaone-moe'],
    regexes: [
      `${CONTRACTIONS}|[^\\r\\n\\p{L}\\p{N}]?(?:\\p{L}\\p{M}*(?: \\p{L}\\p{M}*)*)+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]?|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+`,
    ],
  },
  {
    pres: ['minicpm5'],
    regexes: [
      '\\p{N}{1,3}',
      `${CONTRACTIONS}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}+| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|${WS_TAIL}`,
    ],
    ignoreMerges: true,
  },
]

const BY_PRE = new Map<string, PreTokenizer>()
for (const { pres, ...entry } of TABLE)
  for (const pre of pres)
    BY_PRE.set(pre, {
      ignoreMerges: false,
      addBos: false,
      noDefaultBos: false,
      ...entry,
      regexes: entry.regexes.map(asLlamaCppMatches),
    })

/** Every `tokenizer.ggml.pre` the BPE tokenizer implements. */
export const SUPPORTED_PRE_TOKENIZERS: readonly string[] = [...BY_PRE.keys()]

// Known to llama.cpp, not implemented here (custom code or SPM-style BPE).
const LLAMA_CPP_ONLY = new Set([
  'kimi-k2',
  'gemma4',
  'granite-embed-multi-311m',
  'sarvam-moe',
  'whitespace',
])

/** The pre-tokenizer for a GGUF `tokenizer.ggml.pre` (missing: llama.cpp's default). */
export function preTokenizerFor(pre: string | undefined): PreTokenizer {
  const found = BY_PRE.get(pre ?? 'default')
  if (!found)
    throw new UnsupportedModelError(
      `GGUF pre-tokenizer "${pre}" (tokenizer.ggml.pre) is not supported.`,
      {
        details: LLAMA_CPP_ONLY.has(pre as string)
          ? 'llama.cpp implements it; this engine does not yet.'
          : `llama.cpp does not know it either; the ${SUPPORTED_PRE_TOKENIZERS.length} supported values are listed in the README (Tokenizers from GGUF).`,
      },
    )
  return found
}

// How llama.cpp's regexes actually match, spelled for JS: \p{Lu}, \p{Ll},
// ... match any letter (it runs them on text collapsed to one code per
// category), \d only ASCII digits, and a regex without \p{} sees non-ASCII
// spaces as \v, so its literal classes never match them.
function asLlamaCppMatches(regex: string): string {
  const out = regex
    .replace(/\\p\{L[ultmo]\}/g, '\\p{L}')
    .replaceAll('\\d', '[0-9]')
  return out.includes('\\p{') ? out : withoutWideSpaces(out)
}

// Each positive class with a non-ASCII member becomes (?:(?!space)[...]).
function withoutWideSpaces(regex: string): string {
  let out = ''
  for (let i = 0; i < regex.length; i++) {
    const ch = regex[i] as string
    if (ch === '\\') {
      out += ch + (regex[++i] ?? '')
      continue
    }
    if (ch !== '[' || regex[i + 1] === '^') {
      out += ch
      continue
    }
    let end = i + 1
    while (end < regex.length && regex[end] !== ']')
      end += regex[end] === '\\' ? 2 : 1
    const cls = regex.slice(i, end + 1)
    const wide = [...cls].some((c) => c.charCodeAt(0) > 0x7f)
    out += wide ? `(?:(?!${WIDE_SPACES})${cls})` : cls
    i = end
  }
  return out
}
