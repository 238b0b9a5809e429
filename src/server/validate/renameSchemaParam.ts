// Structured output is checked in OpenAI chat terms (`tools[0].function
// .parameters`, `response_format.json_schema.schema`); the Anthropic and
// Responses endpoints name those fields differently. This reruns a check
// and renames the parameter in the InvalidSchemaError it throws.
import { InvalidSchemaError } from '../../engine/structured/errors.ts'

export function renameSchemaParam<T>(
  check: () => T,
  rename: [RegExp, string][],
): T {
  try {
    return check()
  } catch (e) {
    if (!(e instanceof InvalidSchemaError)) throw e
    const param = rename.reduce((p, [from, to]) => p.replace(from, to), e.param)
    const reason = e.shortMessage.replace(/^Invalid .*?: /, '')
    throw new InvalidSchemaError(param, e.pointer, reason)
  }
}
