// OpenAI `response_format` (and the SDK's lark / regex extras) -> the grammar
// the engine enforces. JSON output is compact-ish (", " and ": " separators,
// no free whitespace) so a model cannot spin on blanks; strict schemas reject
// keywords the engine cannot enforce, non-strict ones approximate them.
import { checkJsonSchema } from './checkJsonSchema.ts'
import { InvalidSchemaError } from './errors.ts'
import type { Grammar, JsonSchema, ResponseFormat } from './types.ts'

/** llguidance's JSON options, set through the schema's root `x-guidance`. */
export function jsonGrammarOptions(strict: boolean): Record<string, unknown> {
  return {
    whitespace_flexible: false,
    item_separator: ', ',
    key_separator: ': ',
    ...(strict ? {} : { lenient: true, coerce_one_of: true }),
  }
}

/** A JSON schema as grammar text for the engine. */
export function jsonSchemaGrammar(
  schema: JsonSchema,
  strict: boolean,
): Grammar {
  if (schema === false)
    throw new InvalidSchemaError(
      'schema',
      '',
      'the schema `false` accepts no output',
    )
  const root = schema === true ? {} : schema
  return {
    kind: 'json_schema',
    text: JSON.stringify({ ...root, 'x-guidance': jsonGrammarOptions(strict) }),
  }
}

/**
 * `response_format` -> grammar (undefined for plain text). Throws
 * InvalidSchemaError naming the parameter, the place and the reason.
 */
export function responseFormatToGrammar(
  format: ResponseFormat | undefined,
  param = 'response_format',
): Grammar | undefined {
  if (format === undefined || format === null) return undefined
  if (typeof format !== 'object')
    throw new InvalidSchemaError(param, '', 'must be an object with a "type"')
  switch (format.type) {
    case 'text':
      return undefined
    case 'json_object':
      return jsonSchemaGrammar({ type: 'object' }, true)
    case 'json_schema': {
      const spec = format.json_schema
      if (!spec || typeof spec !== 'object')
        throw new InvalidSchemaError(
          `${param}.json_schema`,
          '',
          'is required when type is "json_schema"',
        )
      if (spec.name !== undefined && !/^[a-zA-Z0-9_-]{1,64}$/.test(spec.name))
        throw new InvalidSchemaError(
          `${param}.json_schema.name`,
          '',
          'must be 1-64 characters of a-z, A-Z, 0-9, _ or -',
        )
      const schema = spec.schema ?? {}
      const strict = spec.strict === true
      checkJsonSchema(schema, { param: `${param}.json_schema.schema`, strict })
      return jsonSchemaGrammar(schema, strict)
    }
    case 'lark':
      if (typeof format.lark !== 'string' || format.lark.trim() === '')
        throw new InvalidSchemaError(
          `${param}.lark`,
          '',
          'must be a non-empty Lark grammar',
        )
      return { kind: 'lark', text: format.lark }
    case 'regex':
      if (typeof format.regex !== 'string' || format.regex === '')
        throw new InvalidSchemaError(
          `${param}.regex`,
          '',
          'must be a non-empty regular expression',
        )
      return { kind: 'regex', text: format.regex }
    default:
      throw new InvalidSchemaError(
        `${param}.type`,
        '',
        `"${String((format as { type?: unknown }).type)}" is not one of text, json_object, json_schema, lark, regex`,
      )
  }
}
