// The single place where errors become HTTP: every error of every layer is
// mapped here to a status and an OpenAI-shaped body
// `{ error: { message, type, param, code } }` — or, on Anthropic's Messages
// routes, `{ type: "error", error: { type, message } }`. Routes only throw.
import type { NextFunction, Request, Response } from 'express'
import {
  BaseError,
  ChatTemplateError,
  ContextOverflowError,
  InvalidOptionError,
  ModelDisposedError,
  ModelLoadError,
  UnsupportedModelError,
} from '../engine/errors.ts'
import { InvalidSchemaError } from '../engine/structured/errors.ts'
import { HiveError, HivePeerError } from '../hive/errors.ts'
import {
  ChecksumMismatchError,
  DownloadError,
  InstanceNotFoundError,
  InsufficientMemoryError,
  InvalidModelReferenceError,
  JobNotFoundError,
  ModelNotFoundError,
  ModelNotLoadedError,
  OfflineError,
  WrongModelTypeError,
} from '../models/errors.ts'
import { McpNotAllowedError, McpServerError } from './mcp/McpHub.ts'

/** A malformed request (bad field, wrong type); `param` names the field. */
export class InvalidRequestError extends BaseError {
  override name = 'InvalidRequestError' as const
  param: string | null
  code: string | null
  constructor(
    message: string,
    param: string | null = null,
    code: string | null = null,
  ) {
    super(message)
    this.param = param
    this.code = code
  }
}

export class RouteNotFoundError extends BaseError {
  override name = 'RouteNotFoundError' as const
  constructor(method: string, path: string) {
    super(`Unexpected endpoint or method. (${method} ${path})`)
  }
}

export class UnauthorizedError extends BaseError {
  override name = 'UnauthorizedError' as const
  constructor() {
    super(
      'Invalid or missing API key. Send `Authorization: Bearer <key>` (or `x-api-key: <key>`).',
    )
  }
}

/** A stored response (`previous_response_id`, /v1/responses/{id}) is unknown. */
export class ResponseNotFoundError extends BaseError {
  override name = 'ResponseNotFoundError' as const
  param: string
  constructor(id: string, param = 'response_id') {
    super(`Response with id '${id}' not found.`)
    this.param = param
  }
}

export class NotImplementedError extends BaseError {
  override name = 'NotImplementedError' as const
}

export type OpenAIErrorBody = {
  error: {
    message: string
    type: string
    param: string | null
    code: string | null
  }
}

export type HttpError = { status: number; body: OpenAIErrorBody }

const body = (
  message: string,
  type: string,
  param: string | null,
  code: string | null,
) => ({
  error: { message, type, param, code },
})
const invalid = (
  status: number,
  e: Error,
  param: string | null,
  code: string | null,
): HttpError => ({
  status,
  body: body(short(e), 'invalid_request_error', param, code),
})
const server = (status: number, e: Error, code: string): HttpError => ({
  status,
  body: body(short(e), 'server_error', null, code),
})
const short = (e: Error) =>
  e instanceof BaseError
    ? [e.shortMessage, e.details].filter(Boolean).join(' ')
    : e.message

export function toHttpError(error: unknown): HttpError {
  const e = error instanceof Error ? error : new Error(String(error))
  if (e instanceof HivePeerError) return { status: e.status, body: e.body }
  if (e instanceof HiveError)
    return { status: e.status, body: body(short(e), e.type, null, e.code) }
  if (e instanceof InvalidRequestError) return invalid(400, e, e.param, e.code)
  if (e instanceof InvalidOptionError)
    return invalid(400, e, e.param, 'invalid_value')
  // "Invalid <param> at <JSON pointer>: <reason>"
  if (e instanceof InvalidSchemaError)
    return invalid(400, e, e.param, 'invalid_schema')
  if (e instanceof ContextOverflowError) {
    const message =
      `This model's maximum context length is ${e.contextLength} tokens. However, your request has ` +
      `${e.promptTokens} prompt tokens. Shorten the messages or load the model with a larger context length.`
    return {
      status: 400,
      body: body(
        message,
        'invalid_request_error',
        'messages',
        'context_length_exceeded',
      ),
    }
  }
  if (e instanceof ChatTemplateError)
    return invalid(400, e, 'messages', 'chat_template_error')
  if (e instanceof ModelNotFoundError)
    return invalid(404, e, 'model', 'model_not_found')
  if (e instanceof InstanceNotFoundError)
    return invalid(404, e, 'instance_id', 'model_not_found')
  if (e instanceof ResponseNotFoundError)
    return invalid(404, e, e.param, 'response_not_found')
  if (e instanceof JobNotFoundError)
    return invalid(404, e, 'job_id', 'job_not_found')
  if (e instanceof RouteNotFoundError) return invalid(404, e, null, 'not_found')
  if (e instanceof ModelNotLoadedError)
    return invalid(400, e, 'model', 'model_not_loaded')
  if (e instanceof WrongModelTypeError)
    return invalid(400, e, 'model', 'invalid_model_type')
  if (e instanceof InvalidModelReferenceError)
    return invalid(400, e, 'model', 'invalid_model')
  if (e instanceof UnsupportedModelError)
    return invalid(400, e, 'model', 'unsupported_model')
  if (e instanceof UnauthorizedError) {
    return {
      status: 401,
      body: body(short(e), 'authentication_error', null, 'invalid_api_key'),
    }
  }
  if (e instanceof McpNotAllowedError)
    return invalid(400, e, e.param, 'mcp_not_allowed')
  if (e instanceof McpServerError) return server(502, e, 'mcp_server_error')
  if (e instanceof NotImplementedError) return server(501, e, 'not_implemented')
  if (e instanceof InsufficientMemoryError)
    return server(503, e, 'insufficient_memory')
  if (e instanceof OfflineError) return server(503, e, 'offline')
  if (e instanceof ModelDisposedError) return server(503, e, 'model_unloaded')
  if (e instanceof ChecksumMismatchError)
    return server(502, e, 'checksum_mismatch')
  if (e instanceof DownloadError) return server(502, e, 'download_failed')
  if (e instanceof ModelLoadError) return server(500, e, 'model_load_failed')
  const parser = bodyParserError(e)
  if (parser) return parser
  return server(
    500,
    new Error(`Internal error: ${e.message}`),
    'internal_error',
  )
}

/** express.json() errors carry `type` and `status`. */
function bodyParserError(e: Error): HttpError | null {
  const type = (e as { type?: string }).type
  if (type === 'entity.parse.failed') {
    return invalid(
      400,
      new Error(`Invalid JSON in request body: ${e.message}`),
      null,
      'invalid_json',
    )
  }
  if (type === 'entity.too.large') {
    return invalid(
      413,
      new Error(
        `Request body is larger than the server limit (${(e as { limit?: number }).limit} bytes).`,
      ),
      null,
      'request_too_large',
    )
  }
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return invalid(415, e, null, 'unsupported_media_type')
  }
  if (type === 'request.aborted')
    return invalid(400, e, null, 'request_aborted')
  return null
}

/** LM Studio's `/api/v1/chat` stream `error` event payload. */
export function toV1ErrorEvent(error: unknown) {
  const { body: b } = toHttpError(error)
  const type =
    b.error.code === 'model_not_found' || b.error.code === 'job_not_found'
      ? b.error.code
      : b.error.code === 'not_implemented'
        ? 'not_implemented'
        : b.error.type === 'invalid_request_error'
          ? 'invalid_request'
          : 'internal_error'
  return {
    type: 'error',
    error: {
      type,
      message: b.error.message,
      code: b.error.code ?? undefined,
      param: b.error.param ?? undefined,
    },
  }
}

/** express error middleware: the one exit for thrown errors. */
export function handleError(
  err: unknown,
  _req: Request,
  res: Response,
  next: NextFunction,
): void {
  if (res.headersSent) {
    next(err)
    return
  }
  const { status, body: b } = toHttpError(err)
  res.locals.errorMessage = b.error.message
  res.status(status).json(b)
}

export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error'

export type AnthropicErrorBody = {
  type: 'error'
  error: { type: AnthropicErrorType; message: string }
}

function anthropicType(status: number): AnthropicErrorType {
  if (status === 401) return 'authentication_error'
  if (status === 403) return 'permission_error'
  if (status === 404) return 'not_found_error'
  if (status === 413) return 'request_too_large'
  if (status === 429) return 'rate_limit_error'
  if (status === 503 || status === 529) return 'overloaded_error'
  if (status >= 500) return 'api_error'
  return 'invalid_request_error'
}

/** Any error -> the same status and an Anthropic-shaped body. */
export function toAnthropicError(error: unknown): {
  status: number
  body: AnthropicErrorBody
} {
  const { status, body: b } = toHttpError(error)
  const { message, param } = b.error
  const named = param && !message.includes(param) ? `${param}: ` : ''
  return {
    status,
    body: {
      type: 'error',
      error: { type: anthropicType(status), message: named + message },
    },
  }
}

/** Error middleware for the Anthropic routes (mounted on their paths). */
export function handleAnthropicError(
  err: unknown,
  _req: Request,
  res: Response,
  next: NextFunction,
): void {
  if (res.headersSent) {
    next(err)
    return
  }
  const { status, body: b } = toAnthropicError(err)
  res.locals.errorMessage = b.error.message
  res.status(status).json(b)
}
