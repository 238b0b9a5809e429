// Errors of the model store layer (catalogue, downloads, residency). They
// extend the engine's BaseError so the HTTP layer maps one tree in one place.
import { BaseError, type BaseErrorParameters } from '../engine/errors.ts'

/** No downloaded or imported model matches the requested id. */
export class ModelNotFoundError extends BaseError {
  override name = 'ModelNotFoundError' as const
  model: string
  constructor(model: string, params: BaseErrorParameters = {}) {
    super(`Model "${model}" was not found.`, params)
    this.model = model
  }
}

/** A loaded instance id that is not (or no longer) loaded. */
export class InstanceNotFoundError extends BaseError {
  override name = 'InstanceNotFoundError' as const
  instanceId: string
  constructor(instanceId: string) {
    super(`No loaded model instance "${instanceId}".`)
    this.instanceId = instanceId
  }
}

/** JIT loading is off and the requested model is not loaded. */
export class ModelNotLoadedError extends BaseError {
  override name = 'ModelNotLoadedError' as const
  model: string
  constructor(model: string) {
    super(
      `Model "${model}" is not loaded and just-in-time loading is off. Load it with \`pocket load ${model}\`.`,
    )
    this.model = model
  }
}

/** The model does not fit in the memory budget and nothing idle can go. */
export class InsufficientMemoryError extends BaseError {
  override name = 'InsufficientMemoryError' as const
  neededBytes: number
  budgetBytes: number
  constructor(neededBytes: number, budgetBytes: number, details?: string) {
    super(
      `Loading needs ${mib(neededBytes)} MiB but the memory budget is ${mib(budgetBytes)} MiB and every resident model is busy.`,
      { details },
    )
    this.neededBytes = neededBytes
    this.budgetBytes = budgetBytes
  }
}

/** The model exists but is the wrong kind for the endpoint. */
export class WrongModelTypeError extends BaseError {
  override name = 'WrongModelTypeError' as const
  model: string
  constructor(model: string, message: string) {
    super(message)
    this.model = model
  }
}

/** A hub download failed (network, HTTP status, missing file). */
export class DownloadError extends BaseError {
  override name = 'DownloadError' as const
}

/** The downloaded bytes do not hash to the hub's recorded digest. */
export class ChecksumMismatchError extends BaseError {
  override name = 'ChecksumMismatchError' as const
  constructor(file: string, expected: string, actual: string) {
    super(`Checksum mismatch for "${file}".`, {
      details: `expected ${expected}, got ${actual}`,
    })
  }
}

/** Offline mode is on and the files are not in the local cache. */
export class OfflineError extends BaseError {
  override name = 'OfflineError' as const
}

/** A download job id that does not exist. */
export class JobNotFoundError extends BaseError {
  override name = 'JobNotFoundError' as const
  constructor(jobId: string) {
    super(`No download job "${jobId}".`)
  }
}

/** A malformed model reference (`owner/repo[@quant]`, URL, file path). */
export class InvalidModelReferenceError extends BaseError {
  override name = 'InvalidModelReferenceError' as const
}

const mib = (bytes: number) => Math.ceil(bytes / 2 ** 20)
