// Errors of structured output and tool calling: a schema or grammar the
// engine cannot use, named by where (a JSON path into the request) and why.
import { BaseError } from '../errors.ts'

/** Invalid or unsupported schema / grammar; the HTTP layer answers 400. */
export class InvalidSchemaError extends BaseError {
  override name = 'InvalidSchemaError' as const
  /** Request parameter, e.g. `response_format.json_schema.schema`. */
  param: string
  /** JSON pointer inside the schema where the problem is ('' = the root). */
  pointer: string
  constructor(param: string, pointer: string, reason: string) {
    super(`Invalid ${param}${pointer ? ` at ${pointer}` : ''}: ${reason}`)
    this.param = param
    this.pointer = pointer
  }
}

/** The model's output does not parse as the requested structure. */
export class StructuredOutputError extends BaseError {
  override name = 'StructuredOutputError' as const
}
