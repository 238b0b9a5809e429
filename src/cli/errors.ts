// CLI-level errors. They join the engine's tree so that main.ts prints
// every BaseError the same way: one `error:` line, no stack trace.
import { BaseError } from '../engine/errors.ts'

/** The command line asks for something impossible (bad value, no input). */
export class UsageError extends BaseError {
  override name = 'UsageError' as const
}
