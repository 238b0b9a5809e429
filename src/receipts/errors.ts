// The receipts layer's error tree: one BaseError with shortMessage/details/
// cause, subclasses with a literal `name`.

export type BaseErrorParameters = {
  details?: string
  cause?: unknown
}

export class BaseError extends Error {
  override name = 'ReceiptsBaseError'
  shortMessage: string
  details: string | undefined

  constructor(shortMessage: string, params: BaseErrorParameters = {}) {
    const lines = [shortMessage]
    if (params.details) lines.push('', `Details: ${params.details}`)
    super(lines.join('\n'), params.cause ? { cause: params.cause } : {})
    this.shortMessage = shortMessage
    this.details = params.details
  }
}

/** Bytes that do not decode as a task output envelope or commitment list. */
export class MalformedOutputError extends BaseError {
  override name = 'MalformedOutputError' as const
}

/** A model folder or file set that cannot be digested. */
export class ModelDigestError extends BaseError {
  override name = 'ModelDigestError' as const
}

/** Sampling parameters that are not the canonical encoding. */
export class SamplingParamsError extends BaseError {
  override name = 'SamplingParamsError' as const
}
