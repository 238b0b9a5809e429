// Maps an error coming from the addon (with its `code`) onto the engine's
// error tree.
import {
  BaseError,
  ContextOverflowError,
  EngineError,
  InvalidOptionError,
  ModelDisposedError,
  ModelLoadError,
  UnsupportedModelError,
} from './errors.ts'

export function toEngineError(error: unknown, path = ''): BaseError {
  if (error instanceof BaseError) return error
  const e = error as Error & { code?: string }
  const message = e?.message ?? String(error)
  switch (e?.code) {
    case 'E_MODEL_LOAD':
      return new ModelLoadError(path, { details: message, cause: e })
    case 'E_UNSUPPORTED':
      return new UnsupportedModelError(message, { cause: e })
    case 'E_INVALID_ARG': {
      const [param, ...rest] = message.split(': ')
      return new InvalidOptionError(
        param ?? 'request',
        rest.join(': ') || message,
      )
    }
    case 'E_CONTEXT': {
      const m = /(\d+) tokens but the context length is (\d+)/.exec(message)
      return new ContextOverflowError(Number(m?.[1] ?? 0), Number(m?.[2] ?? 0))
    }
    case 'E_DISPOSED':
      return new ModelDisposedError()
    default:
      return new EngineError(message, { cause: e })
  }
}
