// Anthropic's request headers. `anthropic-version` is optional here (the
// local server speaks one version) but must look like one (`2023-06-01`);
// `anthropic-beta` flags are accepted and change nothing. The key itself
// (`x-api-key` or `Authorization: Bearer`) is checked by the auth middleware.
import type { Request } from 'express'
import { InvalidRequestError } from '../../errors.ts'

export function checkAnthropicHeaders(req: Request): void {
  const version = req.get('anthropic-version')
  if (version !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(version.trim()))
    throw new InvalidRequestError(
      `anthropic-version: "${version}" is not a valid version (e.g. "2023-06-01").`,
      'anthropic-version',
      'invalid_header',
    )
}
