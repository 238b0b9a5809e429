// Types shared by structured output and tool calling: the grammar handed to
// the engine, OpenAI-shaped tool declarations, and parsed tool calls.

/** Grammar kinds the native engine (llguidance) understands. */
export type GrammarKind = 'json_schema' | 'regex' | 'lark' | 'llguidance'

/** `GenerateOptions.grammar`: every generated token must keep it satisfiable. */
export type Grammar = { kind: GrammarKind; text: string }

export type JsonSchema = Record<string, unknown> | boolean

/** OpenAI `response_format`, plus SDK-only `lark` and `regex` variants. */
export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema'
      json_schema: {
        name?: string
        description?: string
        schema?: JsonSchema
        strict?: boolean | null
      }
    }
  | { type: 'lark'; lark: string }
  | { type: 'regex'; regex: string }

/** OpenAI `tools[]` entry. */
export type ToolDefinition = {
  type: 'function'
  function: {
    name: string
    description?: string
    parameters?: JsonSchema
    strict?: boolean | null
  }
}

/** OpenAI `tool_choice`. */
export type ToolChoice =
  | 'none'
  | 'auto'
  | 'required'
  | { type: 'function'; function: { name: string } }

/** Chat formats for tool calls, by model family. */
export type ToolCallFormat =
  | 'hermes'
  | 'llama3'
  | 'mistral'
  | 'smollm2'
  | 'gemma'
  | 'harmony'
  | 'generic'

/** A tool call parsed out of generated text. */
export type ParsedToolCall = { id: string; name: string; arguments: string }
