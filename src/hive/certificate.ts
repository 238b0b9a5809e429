// Device certificates: the hive key signs (device public key, device id,
// name, payout address, issue time). A member trusts a peer only through a
// certificate that verifies against the hive key and is not revoked.
import {
  canonicalJson,
  fromBase64url,
  sha256,
  toBase64url,
} from './encoding.ts'
import { HiveAuthError } from './errors.ts'
import type { Hive } from './joinCode.ts'
import { type KeyPair, keyId, sign, verify } from './keys.ts'

export type DeviceCertificate = {
  v: 1
  hive: string
  device: string
  /** base64url Ed25519 public key of the device. */
  key: string
  name: string
  /** EVM address contributions are paid to, or null. */
  payout: string | null
  issued: number
  /** base64url signature of the hive key over sha256(canonical body). */
  sig: string
}

export type CertificateBody = Omit<DeviceCertificate, 'sig'>

export function certificateDigest(body: CertificateBody): Uint8Array {
  const { v, hive, device, key, name, payout, issued } = body
  return sha256(canonicalJson({ v, hive, device, key, name, payout, issued }))
}

export function issueCertificate(
  hive: Hive,
  device: KeyPair,
  p: { name: string; payout?: string | null; issued?: number },
): DeviceCertificate {
  const body: CertificateBody = {
    v: 1,
    hive: hive.id,
    device: keyId(device.publicKey),
    key: toBase64url(device.publicKey),
    name: p.name,
    payout: p.payout ?? null,
    issued: p.issued ?? Date.now(),
  }
  const sig = sign(certificateDigest(body), hive.key.secretKey)
  return { ...body, sig: toBase64url(sig) }
}

/** The device's public key when `cert` is a valid certificate of `hivePublicKey`. */
export function verifyCertificate(
  cert: unknown,
  hivePublicKey: Uint8Array,
): Uint8Array {
  const c = cert as DeviceCertificate
  if (
    c?.v !== 1 ||
    typeof c.key !== 'string' ||
    typeof c.sig !== 'string' ||
    typeof c.device !== 'string' ||
    typeof c.name !== 'string' ||
    typeof c.issued !== 'number'
  )
    throw new HiveAuthError('Malformed hive device certificate.')
  if (c.hive !== keyId(hivePublicKey))
    throw new HiveAuthError('The certificate belongs to another hive.')
  let key: Uint8Array
  let sig: Uint8Array
  try {
    key = fromBase64url(c.key)
    sig = fromBase64url(c.sig)
  } catch {
    throw new HiveAuthError('Malformed hive device certificate.')
  }
  if (keyId(key) !== c.device)
    throw new HiveAuthError('The certificate names another device id.')
  if (!verify(sig, certificateDigest(c), hivePublicKey))
    throw new HiveAuthError('The certificate is not signed by the hive key.')
  return key
}
