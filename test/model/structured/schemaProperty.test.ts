// Property: whatever a model's weights say, grammar-constrained output is
// valid. Tiny random-weight checkpoints (byte-level vocabulary, so any JSON
// is expressible) x every schema in test/fixtures/schemas: each output must
// end on its own (eos), parse, and validate against the schema with ajv.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { loadModel, type Model } from '../../../src/engine/index.ts'
import { checkJsonSchema } from '../../../src/engine/structured/checkJsonSchema.ts'
import { jsonSchemaGrammar } from '../../../src/engine/structured/responseFormat.ts'
import {
  type TinyArchitecture,
  writeTinyCheckpoint,
} from '../../helpers/tinyCheckpoint.ts'

const schemaDir = join(import.meta.dirname, '..', '..', 'fixtures', 'schemas')
const schemas = readdirSync(schemaDir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => ({
    name: f.replace('.json', ''),
    schema: JSON.parse(readFileSync(join(schemaDir, f), 'utf8')),
  }))

const addFormats = addFormatsModule as unknown as (
  ajv: Ajv2020,
  o: { mode: 'fast' | 'full' },
) => Ajv2020
// "fast" format checks: llguidance's `email` admits dotless domains (RFC 5321
// allows them), which ajv's "full" mode rejects.
const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }), {
  mode: 'fast',
})

// Byte-level tiny vocabulary: 3 special tokens, then byte b at id 3 + b.
const EOS = 2
const byte = (c: string) => 3 + c.charCodeAt(0)
// Nudges toward delimiters (closing strings/containers, email "@") and
// stopping, so random weights finish within the tiny context; the grammar
// alone decides what is allowed.
const logitBias = {
  [byte('"')]: 4,
  [byte('}')]: 4,
  [byte(']')]: 4,
  [byte('@')]: 4,
  [byte(',')]: 1,
  [EOS]: 6,
}

const archs: TinyArchitecture[] = ['llama', 'qwen2']
let tmp: string
const models = new Map<TinyArchitecture, Model>()

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'pocket-schema-'))
  for (const [i, arch] of archs.entries()) {
    const dir = join(tmp, arch)
    writeTinyCheckpoint(dir, arch, { seed: 100 + i })
    models.set(arch, await loadModel(dir))
  }
})

afterAll(async () => {
  for (const m of models.values()) await m.dispose()
  rmSync(tmp, { recursive: true, force: true })
})

describe('grammar-constrained JSON from random-weight models', () => {
  test('the corpus has at least 30 schemas, all accepted by the checker', () => {
    expect(schemas.length).toBeGreaterThanOrEqual(30)
    for (const { schema, name } of schemas)
      expect(() =>
        checkJsonSchema(schema, { param: name, strict: true }),
      ).not.toThrow()
  })

  for (const arch of archs)
    for (const { name, schema } of schemas)
      test(`${arch} × ${name}: output parses and validates`, async () => {
        const model = models.get(arch) as Model
        const grammar = jsonSchemaGrammar(schema, true)
        const validate = ajv.compile(schema)
        for (const seed of [1, 2]) {
          const stream = model.generate('Reply in JSON.', {
            temperature: 1,
            seed,
            maxTokens: 600,
            logitBias,
            grammar,
          } as never)
          let text = ''
          for await (const chunk of stream) text += chunk.text
          const stats = await stream.result
          expect(stats.stopReason, text).toBe('eos')
          const value = JSON.parse(text)
          expect(
            validate(value),
            `${text}\n${ajv.errorsText(validate.errors)}`,
          ).toBe(true)
        }
      })
})
