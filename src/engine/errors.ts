// The engine's error tree: one BaseError with shortMessage/details/cause,
// subclasses with a literal `name`. The HTTP layer maps these to OpenAI
// error bodies in one place.

export type BaseErrorParameters = {
  details?: string
  cause?: unknown
  metaMessages?: string[]
}

export class BaseError extends Error {
  override name = 'BaseError'
  shortMessage: string
  details: string | undefined

  constructor(shortMessage: string, params: BaseErrorParameters = {}) {
    const lines = [shortMessage]
    if (params.metaMessages) lines.push('', ...params.metaMessages)
    if (params.details) lines.push('', `Details: ${params.details}`)
    super(lines.join('\n'), params.cause ? { cause: params.cause } : {})
    this.shortMessage = shortMessage
    this.details = params.details
  }
}

/** The model file is missing, truncated, forged or of an unknown layout. */
export class ModelLoadError extends BaseError {
  override name = 'ModelLoadError' as const
  path: string
  constructor(path: string, params: BaseErrorParameters = {}) {
    super(`Could not load model at "${path}".`, params)
    this.path = path
  }
}

/** Architecture or tensor type the engine does not implement. */
export class UnsupportedModelError extends BaseError {
  override name = 'UnsupportedModelError' as const
}

/** Prompt (plus reserved completion) does not fit the context window. */
export class ContextOverflowError extends BaseError {
  override name = 'ContextOverflowError' as const
  promptTokens: number
  contextLength: number
  constructor(promptTokens: number, contextLength: number) {
    super(
      `Prompt has ${promptTokens} tokens but the context length is ${contextLength}.`,
    )
    this.promptTokens = promptTokens
    this.contextLength = contextLength
  }
}

/** A sampling or generation option is out of range. */
export class InvalidOptionError extends BaseError {
  override name = 'InvalidOptionError' as const
  param: string
  constructor(param: string, message: string) {
    super(`Invalid value for "${param}": ${message}`)
    this.param = param
  }
}

/** The chat template cannot be rendered by the JS Jinja engine. */
export class ChatTemplateError extends BaseError {
  override name = 'ChatTemplateError' as const
}

/** The model was disposed (unloaded) while in use. */
export class ModelDisposedError extends BaseError {
  override name = 'ModelDisposedError' as const
  constructor() {
    super('The model has been unloaded.')
  }
}

/** Anything the native engine threw that has no better class. */
export class EngineError extends BaseError {
  override name = 'EngineError' as const
}
