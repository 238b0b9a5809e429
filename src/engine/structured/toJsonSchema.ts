// A structured-output spec from the SDK: a zod 4 schema or a plain JSON
// schema. Returns the JSON schema for the grammar and a parse function.
import { Ajv2020 } from 'ajv/dist/2020.js'
import { toJSONSchema, type ZodType } from 'zod'
import { StructuredOutputError } from './errors.ts'
import type { JsonSchema } from './types.ts'

export type StructuredSpec<T = unknown> = ZodType<T> | JsonSchema

const isZod = (s: unknown): s is ZodType =>
  typeof s === 'object' &&
  s !== null &&
  '_zod' in s &&
  typeof (s as ZodType).safeParse === 'function'

let ajv: Ajv2020 | undefined

export function toStructured<T>(spec: StructuredSpec<T>): {
  schema: JsonSchema
  parse: (value: unknown) => T
} {
  if (isZod(spec)) {
    const schema = toJSONSchema(spec, { target: 'draft-2020-12' }) as Record<
      string,
      unknown
    >
    delete schema.$schema
    return {
      schema,
      parse: (value) => {
        const r = spec.safeParse(value)
        if (!r.success)
          throw new StructuredOutputError(
            'The output does not match the schema.',
            { details: r.error.message },
          )
        return r.data as T
      },
    }
  }
  ajv ??= new Ajv2020({
    strict: false,
    allErrors: true,
    validateFormats: false,
  })
  const validate = ajv.compile(
    typeof spec === 'boolean' ? spec : { ...spec, $schema: undefined },
  )
  return {
    schema: spec,
    parse: (value) => {
      if (!validate(value))
        throw new StructuredOutputError(
          'The output does not match the schema.',
          { details: ajv?.errorsText(validate.errors) },
        )
      return value as T
    },
  }
}
