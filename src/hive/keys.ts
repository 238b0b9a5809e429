// Ed25519 keys of the hive and of each device. The hive id is the first 16
// bytes of SHA-256 of the hive public key (hex); a device id likewise of the
// device's key, so an id cannot be copied without the key behind it.
import { ed25519 } from '@noble/curves/ed25519'
import { sha256, toHex } from './encoding.ts'

export type KeyPair = { secretKey: Uint8Array; publicKey: Uint8Array }

export function generateKeyPair(): KeyPair {
  const secretKey = ed25519.utils.randomPrivateKey()
  return { secretKey, publicKey: ed25519.getPublicKey(secretKey) }
}

export function keyPairFromSecret(secretKey: Uint8Array): KeyPair {
  return { secretKey, publicKey: ed25519.getPublicKey(secretKey) }
}

/** 32 hex characters naming a public key (hive id or device id). */
export function keyId(publicKey: Uint8Array): string {
  return toHex(sha256(publicKey).subarray(0, 16))
}

export function sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return ed25519.sign(message, secretKey)
}

export function verify(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  try {
    return ed25519.verify(signature, message, publicKey)
  } catch {
    return false
  }
}
