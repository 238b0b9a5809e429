// Checks a JSON schema before it reaches the grammar engine, so that a bad
// request fails with a 400 naming where (a JSON pointer) and why: malformed
// schemas (meta-schema violations, via ajv) and keywords llguidance does not
// implement (mirrors llguidance's own keyword list).
import { Ajv2020 } from 'ajv/dist/2020.js'
import { InvalidSchemaError } from './errors.ts'
import type { JsonSchema } from './types.ts'

// JSON Schema keywords that constrain values but that llguidance cannot
// enforce. `oneOf` is approximated by anyOf only in non-strict mode.
const UNSUPPORTED = new Set([
  'not',
  'if',
  'then',
  'else',
  'dependentSchemas',
  'dependentRequired',
  'dependencies',
  'contains',
  'minContains',
  'maxContains',
  'uniqueItems',
  'propertyNames',
  'unevaluatedProperties',
  'unevaluatedItems',
  '$dynamicRef',
  '$dynamicAnchor',
  '$recursiveRef',
  '$recursiveAnchor',
  'contentSchema',
  'deprecated',
])

// Keywords whose value is a schema, a list of schemas or a map of schemas.
const SCHEMA = [
  'items',
  'additionalItems',
  'additionalProperties',
  'not',
  'if',
  'then',
  'else',
  'contains',
  'propertyNames',
]
const SCHEMA_LIST = ['anyOf', 'oneOf', 'allOf', 'prefixItems']
const SCHEMA_MAP = [
  'properties',
  'patternProperties',
  '$defs',
  'definitions',
  'dependentSchemas',
]

const escapePointer = (k: string) =>
  k.replaceAll('~', '~0').replaceAll('/', '~1')

export type CheckJsonSchemaOptions = {
  /** Request parameter named in errors. */
  param: string
  /** Strict: unsupported keywords are errors. Else oneOf is coerced to anyOf and the rest ignored. */
  strict: boolean
}

let metaValidator: Ajv2020 | undefined

/** Throws InvalidSchemaError (param, pointer, reason) for unusable schemas. */
export function checkJsonSchema(
  schema: unknown,
  { param, strict }: CheckJsonSchemaOptions,
): asserts schema is JsonSchema {
  if (typeof schema === 'boolean') return
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema))
    throw new InvalidSchemaError(
      param,
      '',
      'a JSON schema must be an object or a boolean',
    )
  metaValidator ??= new Ajv2020({
    strict: false,
    allErrors: false,
    validateFormats: false,
  })
  const copy = { ...(schema as Record<string, unknown>) }
  delete copy.$schema // drafts differ only in keywords we check ourselves
  if (!metaValidator.validateSchema(copy)) {
    const e = metaValidator.errors?.[0]
    throw new InvalidSchemaError(
      param,
      e?.instancePath ?? '',
      e?.message ?? 'not a valid JSON schema',
    )
  }
  walk(schema, '', param, strict)
}

function walk(
  node: unknown,
  pointer: string,
  param: string,
  strict: boolean,
): void {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return
  const obj = node as Record<string, unknown>
  if (strict) {
    const bad = Object.keys(obj)
      .filter((k) => UNSUPPORTED.has(k) || k === 'oneOf')
      .sort()
    if (bad.length > 0) {
      const hint = bad.includes('oneOf')
        ? ' (use anyOf, or strict: false to treat oneOf as anyOf)'
        : ''
      throw new InvalidSchemaError(
        param,
        pointer,
        `unsupported keyword${bad.length > 1 ? 's' : ''} ${bad.map((k) => `"${k}"`).join(', ')}${hint}`,
      )
    }
  }
  if (typeof obj.$ref === 'string' && !obj.$ref.startsWith('#'))
    throw new InvalidSchemaError(
      param,
      `${pointer}/$ref`,
      `only local references ("#/...") are supported, got "${obj.$ref}"`,
    )
  if (typeof obj.pattern === 'string') {
    try {
      new RegExp(obj.pattern, 'u')
    } catch (e) {
      throw new InvalidSchemaError(
        param,
        `${pointer}/pattern`,
        `invalid regular expression: ${(e as Error).message}`,
      )
    }
  }
  if (
    typeof obj.minimum === 'number' &&
    typeof obj.maximum === 'number' &&
    obj.minimum > obj.maximum
  )
    throw new InvalidSchemaError(
      param,
      pointer,
      `minimum (${obj.minimum}) is greater than maximum (${obj.maximum})`,
    )
  for (const [lo, hi] of [
    ['minItems', 'maxItems'],
    ['minLength', 'maxLength'],
    ['minProperties', 'maxProperties'],
  ] as const)
    if (
      typeof obj[lo] === 'number' &&
      typeof obj[hi] === 'number' &&
      (obj[lo] as number) > (obj[hi] as number)
    )
      throw new InvalidSchemaError(
        param,
        pointer,
        `${lo} (${obj[lo]}) is greater than ${hi} (${obj[hi]})`,
      )
  for (const k of SCHEMA)
    if (k in obj) walk(obj[k], `${pointer}/${k}`, param, strict)
  for (const k of SCHEMA_LIST)
    if (Array.isArray(obj[k]))
      for (const [i, s] of (obj[k] as unknown[]).entries())
        walk(s, `${pointer}/${k}/${i}`, param, strict)
  for (const k of SCHEMA_MAP) {
    const m = obj[k]
    if (m && typeof m === 'object' && !Array.isArray(m))
      for (const [name, s] of Object.entries(m))
        walk(s, `${pointer}/${k}/${escapePointer(name)}`, param, strict)
  }
}
