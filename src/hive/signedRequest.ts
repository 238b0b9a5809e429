// Signed requests between members: the caller sends its certificate and
// signs (method, path, time, nonce, sha256(body)); the callee checks the
// certificate against the hive key, the revocation set, the clock (±60 s)
// and that the nonce is fresh. Responses are signed per event by the
// serving device (see streamEvents.ts), so nobody else can inject results.

import { type DeviceCertificate, verifyCertificate } from './certificate.ts'
import {
  canonicalJson,
  fromBase64url,
  sha256,
  sha256Hex,
  toBase64url,
} from './encoding.ts'
import { HiveAuthError, HiveRevokedError } from './errors.ts'
import type { KeyPair } from './keys.ts'
import { sign, verify } from './keys.ts'
import type { RevocationSet } from './revocations.ts'

export const MAX_SKEW_MS = 60_000

export type Caller = { cert: DeviceCertificate; key: Uint8Array }

function requestDigest(
  method: string,
  path: string,
  time: number,
  nonce: string,
  body: string,
): Uint8Array {
  return sha256(
    `pocket-hive-request/1\n${method.toUpperCase()}\n${path}\n${time}\n${nonce}\n${sha256Hex(body)}`,
  )
}

export function signRequest(
  identity: { cert: DeviceCertificate; key: KeyPair },
  method: string,
  path: string,
  body = '',
  time = Date.now(),
  nonce = toBase64url(crypto.getRandomValues(new Uint8Array(12))),
): Record<string, string> {
  const sig = sign(
    requestDigest(method, path, time, nonce, body),
    identity.key.secretKey,
  )
  return {
    'x-hive-cert': toBase64url(Buffer.from(canonicalJson(identity.cert))),
    'x-hive-time': String(time),
    'x-hive-nonce': nonce,
    'x-hive-sig': toBase64url(sig),
  }
}

/** Remembers nonces for the skew window so a request cannot be replayed. */
export class NonceCache {
  readonly #seen = new Map<string, number>()
  check(nonce: string, now: number): boolean {
    if (this.#seen.size > 10_000)
      for (const [n, t] of this.#seen)
        if (now - t > 2 * MAX_SKEW_MS) this.#seen.delete(n)
    if (this.#seen.has(nonce)) return false
    this.#seen.set(nonce, now)
    return true
  }
}

export function verifyRequest(
  p: {
    headers: Record<string, string | string[] | undefined>
    method: string
    path: string
    body: string
  },
  hivePublicKey: Uint8Array,
  revoked: RevocationSet,
  nonces: NonceCache,
  now = Date.now(),
): Caller {
  const h = (name: string) => {
    const v = p.headers[name]
    return Array.isArray(v) ? v[0] : v
  }
  const certText = h('x-hive-cert')
  const time = Number(h('x-hive-time'))
  const nonce = h('x-hive-nonce')
  const sigText = h('x-hive-sig')
  if (!certText || !nonce || !sigText || !Number.isFinite(time))
    throw new HiveAuthError(
      'This endpoint is for hive members: the request is not signed.',
    )
  let cert: DeviceCertificate
  try {
    cert = JSON.parse(Buffer.from(fromBase64url(certText)).toString('utf8'))
  } catch {
    throw new HiveAuthError('Malformed x-hive-cert header.')
  }
  const key = verifyCertificate(cert, hivePublicKey)
  if (revoked.has(cert.device))
    throw new HiveRevokedError(
      `Device ${cert.device} was removed from the hive.`,
    )
  if (Math.abs(now - time) > MAX_SKEW_MS)
    throw new HiveAuthError('The request time is more than 60 s off.')
  let sig: Uint8Array
  try {
    sig = fromBase64url(sigText)
  } catch {
    throw new HiveAuthError('Malformed x-hive-sig header.')
  }
  if (!verify(sig, requestDigest(p.method, p.path, time, nonce, p.body), key))
    throw new HiveAuthError('The request signature does not verify.')
  if (!nonces.check(nonce, now))
    throw new HiveAuthError('The request nonce was already used.')
  return { cert, key }
}
