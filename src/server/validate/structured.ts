// `response_format`, `tools`, `tool_choice` and `parallel_tool_calls` of a
// chat completion request (OpenAI's shapes). zod checks the shapes; the
// schemas themselves are checked by the engine's structured module, which
// throws InvalidSchemaError naming the parameter, the JSON pointer and why.
import { z } from 'zod'
import { toGenerateGrammar } from '../../engine/structured/toGenerateGrammar.ts'
import type {
  JsonSchema,
  ResponseFormat,
  ToolChoice,
  ToolDefinition,
} from '../../engine/structured/types.ts'
import type { ChatMessage } from '../../engine/types.ts'

const jsonSchema = z.union([z.record(z.string(), z.unknown()), z.boolean()])

export const responseFormatSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text') }),
  z.strictObject({ type: z.literal('json_object') }),
  z.strictObject({
    type: z.literal('json_schema'),
    json_schema: z.strictObject({
      name: z.string().optional(),
      description: z.string().optional(),
      schema: jsonSchema.optional(),
      strict: z.boolean().nullish(),
    }),
  }),
])

export const toolSchema = z.strictObject({
  type: z.literal('function'),
  function: z.strictObject({
    name: z.string(),
    description: z.string().optional(),
    parameters: jsonSchema.optional(),
    strict: z.boolean().nullish(),
  }),
})

export const toolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.strictObject({
    type: z.literal('function'),
    function: z.strictObject({ name: z.string() }),
  }),
])

export const structuredFields = {
  response_format: responseFormatSchema.nullish(),
  tools: z.array(toolSchema).nullish(),
  tool_choice: toolChoiceSchema.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
}

/** What a chat request asks of structured output and tools. */
export type StructuredRequest = {
  response_format?: ResponseFormat
  tools?: ToolDefinition[]
  tool_choice?: ToolChoice
  parallel_tool_calls?: boolean
}

type StructuredFields = {
  response_format?: z.output<typeof responseFormatSchema> | null
  tools?: z.output<typeof toolSchema>[] | null
  tool_choice?: z.output<typeof toolChoiceSchema> | null
  parallel_tool_calls?: boolean | null
}

/**
 * The request's structured part, or undefined when it asks for plain text.
 * Every schema is checked now, before any model is loaded: the grammar only
 * needs the model's chat template to pick the tool-call format, and the
 * checks do not depend on it.
 */
export function toStructuredRequest(
  f: StructuredFields,
  messages: ChatMessage[],
): StructuredRequest | undefined {
  const s: StructuredRequest = {}
  if (f.response_format && f.response_format.type !== 'text')
    s.response_format = {
      ...f.response_format,
    } as ResponseFormat
  if (f.tools?.length)
    s.tools = f.tools.map((t) => ({
      type: 'function',
      function: {
        ...t.function,
        parameters: t.function.parameters as JsonSchema | undefined,
      },
    }))
  if (f.tool_choice != null) s.tool_choice = f.tool_choice
  if (f.parallel_tool_calls != null)
    s.parallel_tool_calls = f.parallel_tool_calls
  if (Object.keys(s).length === 0) return undefined
  toGenerateGrammar({ ...s, messages }, { templateSource: '' }) // throws InvalidSchemaError
  return s
}
