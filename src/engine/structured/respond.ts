// model.respond(chat, { structured }): one constrained generation whose text
// is parsed into a typed object. Accepts a zod 4 schema (typed result) or a
// JSON schema; the grammar guarantees the shape, the parse re-checks it.
import type { Model } from '../model.ts'
import type { ChatMessage, GenerateOptions, GenerationStats } from '../types.ts'
import { checkJsonSchema } from './checkJsonSchema.ts'
import { StructuredOutputError } from './errors.ts'
import { jsonSchemaGrammar } from './responseFormat.ts'
import { type StructuredSpec, toStructured } from './toJsonSchema.ts'
import type { Grammar } from './types.ts'

export type RespondOptions<T> = GenerateOptions & {
  structured: StructuredSpec<T>
  /** Reject schema keywords the engine cannot enforce (default true). */
  strict?: boolean
}

export type RespondReturnType<T> = {
  content: string
  parsed: T
  stats: GenerationStats
}

export async function respond<T>(
  model: Model,
  chat: string | ChatMessage[],
  options: RespondOptions<T>,
): Promise<RespondReturnType<T>> {
  const { structured, strict = true, ...rest } = options
  const { schema, parse } = toStructured(structured)
  checkJsonSchema(schema, { param: 'structured', strict })
  const grammar: Grammar = jsonSchemaGrammar(schema, strict)
  const stream = model.generate(chat, {
    ...rest,
    grammar,
  } as GenerateOptions & { grammar: Grammar })
  let content = ''
  for await (const chunk of stream) content += chunk.text
  const stats = await stream.result
  if (stats.stopReason !== 'eos')
    throw new StructuredOutputError(
      `The output was cut off (${stats.stopReason}) before the JSON was complete.`,
      {
        details: content.slice(0, 200),
      },
    )
  let value: unknown
  try {
    value = JSON.parse(content)
  } catch (cause) {
    throw new StructuredOutputError('The output is not valid JSON.', {
      details: content.slice(0, 200),
      cause,
    })
  }
  return { content, parsed: parse(value), stats }
}
