// Errors -> LM Studio's serialized error: `title` is what the SDK shows as
// the message; our error tree's short message and details become title and
// cause, an HTTP-style error keeps its OpenAI message.
import { BaseError } from '../../engine/errors.ts'
import { toHttpError } from '../errors.ts'
import type { SerializedError } from './protocol.ts'

export class SdkError extends Error {
  override name = 'SdkError'
  readonly suggestion: string | undefined
  constructor(message: string, suggestion?: string) {
    super(message)
    this.suggestion = suggestion
  }
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof SdkError)
    return {
      title: error.message,
      rootTitle: error.message,
      ...(error.suggestion ? { suggestion: error.suggestion } : {}),
    }
  const title =
    error instanceof BaseError || !(error instanceof Error)
      ? toHttpError(error).body.error.message
      : error.message
  return { title, rootTitle: title }
}
