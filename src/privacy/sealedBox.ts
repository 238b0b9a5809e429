// Sealed boxes: X25519 key agreement + XChaCha20-Poly1305 (@noble/curves,
// @noble/ciphers). A payload is encrypted once under a random 32-byte data
// key (`seal`/`open`); the data key is wrapped to each reader's X25519
// public key with a fresh ephemeral key pair (`wrapKey`/`unwrapKey`), so a
// payload can gain readers (an auditor, the drawn jurors) without being
// re-encrypted. Associated data binds a ciphertext to its task and role.
import { hkdfSync, randomBytes } from 'node:crypto'
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { x25519 } from '@noble/curves/ed25519'
import { bytesToHex, type Hex, hexToBytes, stringToBytes } from 'viem'
import { DecryptionError } from './errors.ts'

export type X25519KeyPair = { secretKey: Uint8Array; publicKey: Hex }

/** A data key wrapped to one reader: ephemeral public key, nonce, ciphertext. */
export type WrappedKey = { to: Hex; epk: Hex; nonce: Hex; ct: Hex }

/** A payload under a data key. */
export type SealedPayload = { nonce: Hex; ct: Hex }

export function x25519KeyPair(secretKey: Uint8Array): X25519KeyPair {
  return {
    secretKey,
    publicKey: bytesToHex(x25519.getPublicKey(secretKey)),
  }
}

export function randomDataKey(): Uint8Array {
  return new Uint8Array(randomBytes(32))
}

function wrapKeyFor(shared: Uint8Array, epk: Hex, to: Hex): Uint8Array {
  const salt = new Uint8Array([...hexToBytes(epk), ...hexToBytes(to)])
  return new Uint8Array(hkdfSync('sha256', shared, salt, 'pocket/wrap/v1', 32))
}

/** Wraps `dataKey` so that only the holder of `to`'s secret key opens it. */
export function wrapKey(dataKey: Uint8Array, to: Hex): WrappedKey {
  const eph = x25519KeyPair(new Uint8Array(randomBytes(32)))
  const shared = x25519.getSharedSecret(eph.secretKey, hexToBytes(to))
  const key = wrapKeyFor(shared, eph.publicKey, to)
  const nonce = new Uint8Array(randomBytes(24))
  const ct = xchacha20poly1305(key, nonce).encrypt(dataKey)
  return {
    to,
    epk: eph.publicKey,
    nonce: bytesToHex(nonce),
    ct: bytesToHex(ct),
  }
}

/** Opens a wrapped data key with our key pair; throws DecryptionError. */
export function unwrapKey(w: WrappedKey, me: X25519KeyPair): Uint8Array {
  try {
    const shared = x25519.getSharedSecret(me.secretKey, hexToBytes(w.epk))
    const key = wrapKeyFor(shared, w.epk, me.publicKey)
    return xchacha20poly1305(key, hexToBytes(w.nonce)).decrypt(hexToBytes(w.ct))
  } catch (cause) {
    throw new DecryptionError('A wrapped key does not open with this key.', {
      cause,
    })
  }
}

/** Finds the entry wrapped to us and opens it. */
export function unwrapFrom(
  wraps: readonly WrappedKey[],
  me: X25519KeyPair,
): Uint8Array {
  const mine = wraps.filter((w) => w.to.toLowerCase() === me.publicKey)
  for (const w of mine) {
    try {
      return unwrapKey(w, me)
    } catch {}
  }
  throw new DecryptionError('No key in this payload is wrapped to us.')
}

export function seal(
  dataKey: Uint8Array,
  plaintext: Uint8Array,
  aad: string,
): SealedPayload {
  const nonce = new Uint8Array(randomBytes(24))
  const ct = xchacha20poly1305(dataKey, nonce, stringToBytes(aad)).encrypt(
    plaintext,
  )
  return { nonce: bytesToHex(nonce), ct: bytesToHex(ct) }
}

export function open(
  dataKey: Uint8Array,
  p: SealedPayload,
  aad: string,
): Uint8Array {
  try {
    return xchacha20poly1305(
      dataKey,
      hexToBytes(p.nonce),
      stringToBytes(aad),
    ).decrypt(hexToBytes(p.ct))
  } catch (cause) {
    throw new DecryptionError(
      'Payload does not open: wrong key, or edited ciphertext.',
      { cause },
    )
  }
}
