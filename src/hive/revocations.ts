// Revocation records: the hive key signs "device X is out as of time T".
// Members keep every record they have seen (a set that only grows), pass
// them on in their status, and refuse revoked devices.
import {
  canonicalJson,
  fromBase64url,
  sha256,
  toBase64url,
} from './encoding.ts'
import type { Hive } from './joinCode.ts'
import { sign, verify } from './keys.ts'

export type Revocation = {
  v: 1
  hive: string
  device: string
  revoked: number
  sig: string
}

function digest(r: Omit<Revocation, 'sig'>): Uint8Array {
  return sha256(
    canonicalJson({
      v: r.v,
      hive: r.hive,
      device: r.device,
      revoked: r.revoked,
    }),
  )
}

export function revokeDevice(
  hive: Hive,
  device: string,
  revoked = Date.now(),
): Revocation {
  const body = { v: 1 as const, hive: hive.id, device, revoked }
  return { ...body, sig: toBase64url(sign(digest(body), hive.key.secretKey)) }
}

export function verifyRevocation(r: unknown, hive: Hive): r is Revocation {
  const x = r as Revocation
  if (x?.v !== 1 || x.hive !== hive.id || typeof x.device !== 'string')
    return false
  try {
    return verify(fromBase64url(x.sig), digest(x), hive.key.publicKey)
  } catch {
    return false
  }
}

/** Revoked device ids, fed with any records (invalid ones are ignored). */
export class RevocationSet {
  readonly #records = new Map<string, Revocation>()
  readonly #hive: Hive
  constructor(hive: Hive, records: unknown[] = []) {
    this.#hive = hive
    this.merge(records)
  }
  /** Adds the valid records; returns how many were new. */
  merge(records: unknown[]): number {
    let added = 0
    for (const r of records) {
      if (!verifyRevocation(r, this.#hive) || this.#records.has(r.device))
        continue
      this.#records.set(r.device, r)
      added++
    }
    return added
  }
  has(device: string): boolean {
    return this.#records.has(device)
  }
  list(): Revocation[] {
    return [...this.#records.values()]
  }
}
