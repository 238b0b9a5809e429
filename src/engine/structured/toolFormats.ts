// How each model family writes tool calls, shared by the grammar builder,
// the streaming parser and the prompt fallback. `open`/`close` wrap one
// block; list formats put every call of a turn in one JSON array.
import type { ToolCallFormat } from './types.ts'

export type ToolFormatSpec = {
  /** Text that starts a block of calls ('' = the message itself is JSON). */
  open: string
  /** Text that ends a block. */
  close: string
  /** Between blocks (block formats) when several calls are made. */
  separator: string
  /** One JSON array of calls per block (SmolLM2, Mistral). */
  list: boolean
  /** Key holding the arguments object. */
  argumentsKey: 'arguments' | 'parameters'
}

export const TOOL_FORMATS: Record<ToolCallFormat, ToolFormatSpec> = {
  // Hermes / Qwen 2.5+ : <tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>
  hermes: {
    open: '<tool_call>\n',
    close: '\n</tool_call>',
    separator: '\n',
    list: false,
    argumentsKey: 'arguments',
  },
  // SmolLM2-Instruct: <tool_call>[{"name": ..., "arguments": {...}}]</tool_call>
  smollm2: {
    open: '<tool_call>',
    close: '</tool_call>',
    separator: '\n',
    list: true,
    argumentsKey: 'arguments',
  },
  // Mistral v3+: [TOOL_CALLS][{"name": ..., "arguments": {...}}]
  mistral: {
    open: '[TOOL_CALLS]',
    close: '',
    separator: '',
    list: true,
    argumentsKey: 'arguments',
  },
  // Llama 3.1-3.3 JSON tool calling: the whole reply is {"name": ..., "parameters": {...}}
  llama3: {
    open: '',
    close: '',
    separator: '; ',
    list: false,
    argumentsKey: 'parameters',
  },
  // Gemma: a ```tool_code fence around {"name": ..., "parameters": {...}}
  // (Gemma's templates have no tool support; the system prompt teaches it).
  gemma: {
    open: '```tool_code\n',
    close: '\n```',
    separator: '\n',
    list: false,
    argumentsKey: 'parameters',
  },
  // gpt-oss Harmony: <|start|>assistant<|channel|>commentary to=functions.NAME
  // <|constrain|>json<|message|>{...}<|call|>; the name is in the header, so
  // replies are parsed by reasoning/harmonyParser.ts, not ToolCallParser.
  harmony: {
    open: '<|channel|>commentary to=functions.',
    close: '<|call|>',
    separator: '',
    list: false,
    argumentsKey: 'arguments',
  },
  // Any other model: explicit markers the system prompt teaches.
  generic: {
    open: '[TOOL_REQUEST]',
    close: '[END_TOOL_REQUEST]',
    separator: '\n',
    list: false,
    argumentsKey: 'arguments',
  },
}

/**
 * Picks the tool-call format from a chat template's source (and, for
 * templates that say nothing, the architecture): each family's template
 * carries its own markers.
 */
export function detectToolCallFormat(
  templateSource: string,
  architecture = '',
): ToolCallFormat {
  const has = (s: string) => templateSource.includes(s)
  if (has('<|channel|>')) return 'harmony' // gpt-oss
  if (has('[TOOL_CALLS]')) return 'mistral'
  if (has('<tool_call>')) return 'hermes' // Qwen 2.5/3, Hermes
  // Llama 3.1+ (python_tag / eom), and 3.0/3.2 templates that only have headers.
  if (has('<|python_tag|>') || has('<|eom_id|>') || has('<|start_header_id|>'))
    return 'llama3'
  if (/SmolLM/i.test(templateSource)) return 'smollm2'
  if (has('<start_of_turn>')) return 'gemma'
  if (architecture === 'mistral') return 'mistral'
  if (architecture.startsWith('gemma')) return 'gemma'
  if (architecture === 'gpt-oss' || architecture === 'gpt_oss') return 'harmony'
  return 'generic'
}
