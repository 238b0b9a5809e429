// The hive's error tree. Each error carries the HTTP status and OpenAI code
// it maps to (server/errors.ts maps them in its one place).
import { BaseError } from '../engine/errors.ts'

export class HiveError extends BaseError {
  override name: string = 'HiveError'
  status = 500
  code = 'hive_error'
  type = 'server_error'
}

/** A request lacks a valid hive signature or certificate. */
export class HiveAuthError extends HiveError {
  override name = 'HiveAuthError' as const
  override status = 401
  override code = 'hive_unauthorized'
  override type = 'authentication_error'
}

/** The device was revoked from the hive. */
export class HiveRevokedError extends HiveError {
  override name = 'HiveRevokedError' as const
  override status = 403
  override code = 'hive_device_revoked'
  override type = 'permission_error'
}

/** No member can serve the request (none has the model, all unreachable). */
export class HiveUnavailableError extends HiveError {
  override name = 'HiveUnavailableError' as const
  override status = 503
  override code = 'hive_unavailable'
}

/** A peer answered with an error: relayed with the peer's status and body. */
export class HivePeerError extends HiveError {
  override name = 'HivePeerError' as const
  body: {
    error: {
      message: string
      type: string
      param: string | null
      code: string | null
    }
  }
  constructor(status: number, body: HivePeerError['body']) {
    super(body.error?.message ?? `peer answered ${status}`)
    this.status = status
    this.body = body
    this.code = body.error?.code ?? 'hive_peer_error'
  }
}

/** A join code, certificate, receipt or record is malformed. */
export class HiveFormatError extends HiveError {
  override name = 'HiveFormatError' as const
  override status = 400
  override code = 'hive_invalid'
  override type = 'invalid_request_error'
}
