// Errors of the private-payload layer (src/privacy): one tree, literal names.
export class PrivacyError extends Error {
  override name = 'PrivacyError'
  readonly shortMessage: string
  readonly details?: string
  constructor(
    shortMessage: string,
    options: { cause?: unknown; details?: string } = {},
  ) {
    super(
      options.details
        ? `${shortMessage}\n\nDetails: ${options.details}`
        : shortMessage,
      { cause: options.cause },
    )
    this.shortMessage = shortMessage
    this.details = options.details
  }
}

/** A ciphertext that does not open with the key offered (wrong key or edited). */
export class DecryptionError extends PrivacyError {
  override name = 'DecryptionError'
}

/** A key announcement whose signature does not recover to its address. */
export class KeyAnnouncementError extends PrivacyError {
  override name = 'KeyAnnouncementError'
}

/** A relay that refused, was unreachable or served bytes of another hash. */
export class RelayError extends PrivacyError {
  override name = 'RelayError'
}
