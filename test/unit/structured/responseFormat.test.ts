import { describe, expect, it } from 'vitest'
import { InvalidSchemaError } from '../../../src/engine/structured/errors.ts'
import { responseFormatToGrammar } from '../../../src/engine/structured/responseFormat.ts'
import { toGenerateGrammar } from '../../../src/engine/structured/toGenerateGrammar.ts'
import type { ResponseFormat } from '../../../src/engine/structured/types.ts'

const schema = {
  type: 'object',
  properties: { a: { type: 'integer' } },
  required: ['a'],
}

function error(f: () => unknown): InvalidSchemaError {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidSchemaError)
    return e as InvalidSchemaError
  }
  throw new Error('did not throw')
}

describe('responseFormatToGrammar', () => {
  it('text and absent formats are unconstrained', () => {
    expect(responseFormatToGrammar(undefined)).toBeUndefined()
    expect(responseFormatToGrammar({ type: 'text' })).toBeUndefined()
  })

  it('json_object is any JSON object', () => {
    const g = responseFormatToGrammar({ type: 'json_object' })
    expect(g?.kind).toBe('json_schema')
    expect(JSON.parse(g?.text ?? '')).toMatchObject({ type: 'object' })
  })

  it('json_schema keeps the schema and sets compact separators', () => {
    const g = responseFormatToGrammar({
      type: 'json_schema',
      json_schema: { name: 'x', schema, strict: true },
    })
    const parsed = JSON.parse(g?.text ?? '')
    expect(parsed).toMatchObject(schema)
    expect(parsed['x-guidance']).toMatchObject({
      whitespace_flexible: false,
      key_separator: ': ',
    })
    expect(parsed['x-guidance'].lenient).toBeUndefined()
  })

  it('non-strict json_schema approximates (oneOf as anyOf, unsupported keywords ignored)', () => {
    const g = responseFormatToGrammar({
      type: 'json_schema',
      json_schema: {
        schema: { oneOf: [{ type: 'string' }], uniqueItems: true },
      },
    })
    expect(JSON.parse(g?.text ?? '')['x-guidance']).toMatchObject({
      lenient: true,
      coerce_one_of: true,
    })
  })

  it('lark and regex pass through (SDK extras)', () => {
    expect(
      responseFormatToGrammar({ type: 'lark', lark: 'start: "a"' }),
    ).toEqual({ kind: 'lark', text: 'start: "a"' })
    expect(responseFormatToGrammar({ type: 'regex', regex: '[0-9]+' })).toEqual(
      { kind: 'regex', text: '[0-9]+' },
    )
  })
})

describe('invalid schemas say where and why', () => {
  const strict = (s: unknown) => () =>
    responseFormatToGrammar({
      type: 'json_schema',
      json_schema: {
        name: 'n',
        schema: s as Record<string, unknown>,
        strict: true,
      },
    })

  it('unsupported keyword, with its JSON pointer', () => {
    const e = error(
      strict({
        type: 'object',
        properties: { tags: { type: 'array', uniqueItems: true } },
      }),
    )
    expect(e.param).toBe('response_format.json_schema.schema')
    expect(e.pointer).toBe('/properties/tags')
    expect(e.message).toMatch(
      /at \/properties\/tags: unsupported keyword "uniqueItems"/,
    )
  })

  it('oneOf in strict mode suggests anyOf', () => {
    expect(error(strict({ oneOf: [{ type: 'string' }] })).message).toMatch(
      /"oneOf".*anyOf/,
    )
  })

  it('meta-schema violations (a misspelt type)', () => {
    const e = error(
      strict({ type: 'object', properties: { a: { type: 'strnig' } } }),
    )
    expect(e.pointer).toBe('/properties/a/type')
  })

  it('remote $ref, bad pattern, contradictory bounds', () => {
    expect(error(strict({ $ref: 'http://x/y.json' })).pointer).toBe('/$ref')
    expect(error(strict({ type: 'string', pattern: '([a-z' })).pointer).toBe(
      '/pattern',
    )
    expect(
      error(strict({ type: 'array', minItems: 3, maxItems: 1 })).message,
    ).toMatch(/minItems \(3\) is greater than maxItems \(1\)/)
    expect(
      error(
        strict({
          $defs: { p: { type: 'string', minLength: 5, maxLength: 2 } },
        }),
      ).pointer,
    ).toBe('/$defs/p')
  })

  it('schema that is not an object, missing json_schema, unknown type', () => {
    expect(error(strict(42)).message).toMatch(/object or a boolean/)
    expect(
      error(() =>
        responseFormatToGrammar({
          type: 'json_schema',
        } as unknown as ResponseFormat),
      ).param,
    ).toBe('response_format.json_schema')
    expect(
      error(() =>
        responseFormatToGrammar({ type: 'yaml' } as unknown as ResponseFormat),
      ).param,
    ).toBe('response_format.type')
  })

  it('tools: bad parameters schema and unknown named tool', () => {
    const body = (tools: unknown, tool_choice?: unknown) => () =>
      toGenerateGrammar({ messages: [], tools, tool_choice } as never, {
        templateSource: '<tool_call>',
      })
    const fn = (parameters: object) => ({
      type: 'function',
      function: { name: 'f', strict: true, parameters },
    })
    const e = error(
      body([fn({ type: 'object', properties: { x: { not: {} } } })]),
    )
    expect(e.param).toBe('tools[0].function.parameters')
    expect(e.pointer).toBe('/properties/x')
    expect(
      error(
        body([fn({ type: 'object' })], {
          type: 'function',
          function: { name: 'g' },
        }),
      ).param,
    ).toBe('tool_choice.function.name')
    expect(
      error(body([{ type: 'function', function: { name: 'bad name!' } }]))
        .param,
    ).toBe('tools[0].function.name')
  })
})
