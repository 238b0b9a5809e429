// The node layer's error tree (daemon, keystore, requester, auditor).

export type BaseErrorParameters = { details?: string; cause?: unknown }

export class BaseError extends Error {
  override name = 'NodeBaseError'
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

/** Wrong password, or a keystore file that is not ours / is corrupted. */
export class KeystoreError extends BaseError {
  override name = 'KeystoreError' as const
}

/** An RPC call that still fails after every retry. */
export class RpcError extends BaseError {
  override name = 'RpcError' as const
}

/** A task the caller asked about is unknown or in an unexpected state. */
export class TaskStateError extends BaseError {
  override name = 'TaskStateError' as const
}

/** No loaded or known model matches a task's model digest. */
export class ModelNotHeldError extends BaseError {
  override name = 'ModelNotHeldError' as const
}
