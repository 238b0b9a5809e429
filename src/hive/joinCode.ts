// The join code a hive hands to new devices: "ph1." + base64url of the hive
// secret key (32 bytes) and the hive's price (uint128, big-endian, wei of
// $POCKET per 1000 tokens). Whoever holds it can sign device certificates,
// so it is shown once (text and QR) and kept like a password.
import { fromBase64url, toBase64url } from './encoding.ts'
import { HiveFormatError } from './errors.ts'
import { type KeyPair, keyId, keyPairFromSecret } from './keys.ts'

export type Hive = {
  id: string
  key: KeyPair
  /** wei of $POCKET per 1000 tokens (prompt + completion) served. */
  pricePer1k: bigint
}

const PREFIX = 'ph1.'

export function hiveFromSecret(
  secretKey: Uint8Array,
  pricePer1k: bigint,
): Hive {
  const key = keyPairFromSecret(secretKey)
  return { id: keyId(key.publicKey), key, pricePer1k }
}

export function encodeJoinCode(hive: Hive): string {
  const bytes = new Uint8Array(48)
  bytes.set(hive.key.secretKey, 0)
  let p = hive.pricePer1k
  for (let i = 47; i >= 32; i--) {
    bytes[i] = Number(p & 0xffn)
    p >>= 8n
  }
  return PREFIX + toBase64url(bytes)
}

export function decodeJoinCode(code: string): Hive {
  const text = code.trim()
  if (!text.startsWith(PREFIX))
    throw new HiveFormatError(
      `Invalid hive join code: it starts with "${PREFIX}" (got "${text.slice(0, 8)}…").`,
    )
  let bytes: Uint8Array
  try {
    bytes = fromBase64url(text.slice(PREFIX.length))
  } catch {
    throw new HiveFormatError('Invalid hive join code: not base64url.')
  }
  if (bytes.length !== 48)
    throw new HiveFormatError(
      `Invalid hive join code: ${bytes.length} bytes, expected 48.`,
    )
  let price = 0n
  for (let i = 32; i < 48; i++) price = (price << 8n) | BigInt(bytes[i] ?? 0)
  return hiveFromSecret(bytes.slice(0, 32), price)
}
