// Where a device keeps its hive state under $POCKET_HOME/hive: the join
// code it was given (hive.json), its own device key (device.json, created
// once, never copied between devices) and, per hive, the ledger and the
// revocations it has seen.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { getPocketHome } from '../models/paths.ts'
import { type DeviceCertificate, issueCertificate } from './certificate.ts'
import { fromBase64url, toBase64url } from './encoding.ts'
import { decodeJoinCode, encodeJoinCode, type Hive } from './joinCode.ts'
import { generateKeyPair, type KeyPair, keyPairFromSecret } from './keys.ts'

export function hiveHome(env = process.env): string {
  return join(getPocketHome(env), 'hive')
}

function writePrivate(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true })
  writeFileSync(path, text, { mode: 0o600 })
}

export function saveHive(hive: Hive, env = process.env): string {
  const file = join(hiveHome(env), 'hive.json')
  writePrivate(
    file,
    `${JSON.stringify({ id: hive.id, code: encodeJoinCode(hive) }, null, 2)}\n`,
  )
  return file
}

export function loadSavedHive(env = process.env): Hive | null {
  const file = join(hiveHome(env), 'hive.json')
  if (!existsSync(file)) return null
  return decodeJoinCode(JSON.parse(readFileSync(file, 'utf8')).code)
}

export function deviceKey(env = process.env): KeyPair {
  const file = join(hiveHome(env), 'device.json')
  if (existsSync(file))
    return keyPairFromSecret(
      fromBase64url(JSON.parse(readFileSync(file, 'utf8')).secretKey),
    )
  const key = generateKeyPair()
  writePrivate(
    file,
    `${JSON.stringify({ secretKey: toBase64url(key.secretKey) }, null, 2)}\n`,
  )
  return key
}

export type JoinedHive = {
  hive: Hive
  device: KeyPair
  cert: DeviceCertificate
  /** Per-hive folder for the ledger and revocations. */
  dir: string
}

/** Joins with a code: saves it, loads or makes the device key, issues the certificate. */
export function joinHive(
  code: string,
  p: { name?: string; payout?: string | null } = {},
  env = process.env,
): JoinedHive {
  const hive = decodeJoinCode(code)
  saveHive(hive, env)
  const device = deviceKey(env)
  const cert = issueCertificate(hive, device, {
    name: p.name ?? hostname(),
    payout: p.payout ?? null,
  })
  return { hive, device, cert, dir: join(hiveHome(env), hive.id) }
}
