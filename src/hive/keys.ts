// Ed25519 keys of the hive and of each device, on Node's own crypto (the
// signatures are RFC 8032's, deterministic; native signing and verifying
// keep routing overhead to fractions of a millisecond). The hive id is the
// first 16 bytes of SHA-256 of the hive public key (hex); a device id
// likewise of the device's key, so an id cannot be copied without its key.
import {
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
  randomBytes,
} from 'node:crypto'
import { sha256, toHex } from './encoding.ts'

export type KeyPair = { secretKey: Uint8Array; publicKey: Uint8Array }

const PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI = Buffer.from('302a300506032b6570032100', 'hex')
const privateKeys = new Map<string, KeyObject>()
const publicKeys = new Map<string, KeyObject>()

function privateKey(seed: Uint8Array): KeyObject {
  const k = Buffer.from(seed).toString('hex')
  let o = privateKeys.get(k)
  if (!o) {
    if (seed.length !== 32) throw new TypeError('an Ed25519 seed is 32 bytes')
    o = createPrivateKey({
      key: Buffer.concat([PKCS8, seed]),
      format: 'der',
      type: 'pkcs8',
    })
    privateKeys.set(k, o)
  }
  return o
}

function publicKey(pub: Uint8Array): KeyObject {
  const k = Buffer.from(pub).toString('hex')
  let o = publicKeys.get(k)
  if (!o) {
    o = createPublicKey({
      key: Buffer.concat([SPKI, pub]),
      format: 'der',
      type: 'spki',
    })
    if (publicKeys.size > 1024) publicKeys.clear()
    publicKeys.set(k, o)
  }
  return o
}

export function keyPairFromSecret(secretKey: Uint8Array): KeyPair {
  const der = createPublicKey(privateKey(secretKey)).export({
    format: 'der',
    type: 'spki',
  })
  return { secretKey, publicKey: new Uint8Array(der.subarray(SPKI.length)) }
}

export function generateKeyPair(): KeyPair {
  return keyPairFromSecret(new Uint8Array(randomBytes(32)))
}

/** 32 hex characters naming a public key (hive id or device id). */
export function keyId(publicKey: Uint8Array): string {
  return toHex(sha256(publicKey).subarray(0, 16))
}

export function sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return new Uint8Array(nodeSign(null, message, privateKey(secretKey)))
}

export function verify(
  signature: Uint8Array,
  message: Uint8Array,
  publicKeyBytes: Uint8Array,
): boolean {
  try {
    if (publicKeyBytes.length !== 32 || signature.length !== 64) return false
    return nodeVerify(null, message, publicKey(publicKeyBytes), signature)
  } catch {
    return false
  }
}
