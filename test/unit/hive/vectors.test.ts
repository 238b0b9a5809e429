// The committed wire-format vectors (docs/hive-test-vectors.json) must be
// what the implementation produces from the same keys, and the verifiers
// must accept them and reject any tampering. A Swift implementation checks
// itself against the same file.
import { readFileSync } from 'node:fs'
import { ed25519 } from '@noble/curves/ed25519'
import { describe, expect, test } from 'vitest'
import { buildVectors } from '../../../scripts/hive/vectors.ts'
import { verifyCertificate } from '../../../src/hive/certificate.ts'
import { verifyContribution } from '../../../src/hive/contributionReceipt.ts'
import { fromHex } from '../../../src/hive/encoding.ts'
import { decodeJoinCode } from '../../../src/hive/joinCode.ts'
import {
  RevocationSet,
  verifyRevocation,
} from '../../../src/hive/revocations.ts'
import { NonceCache, verifyRequest } from '../../../src/hive/signedRequest.ts'
import { decodeEvent } from '../../../src/hive/streamEvents.ts'

const file = JSON.parse(
  readFileSync(
    new URL('../../../docs/hive-test-vectors.json', import.meta.url),
    'utf8',
  ),
)

describe('hive protocol test vectors', () => {
  test('the committed file is what the implementation produces', () => {
    expect(JSON.parse(JSON.stringify(buildVectors()))).toEqual(file)
  })

  test('join code decodes to the hive key and price', () => {
    const hive = decodeJoinCode(file.hive.joinCode)
    expect(hive.id).toBe(file.hive.id)
    expect(Buffer.from(hive.key.publicKey).toString('hex')).toBe(
      file.hive.publicKey,
    )
    expect(hive.pricePer1k.toString()).toBe(file.hive.pricePer1k)
    expect(() => decodeJoinCode('ph1.AAAA')).toThrow(/48/)
    expect(() => decodeJoinCode('hello')).toThrow(/ph1/)
  })

  test('certificates verify against the hive key; a changed field does not', () => {
    const hivePub = fromHex(file.hive.publicKey)
    const cert = file.devices.phone.certificate
    expect(Buffer.from(verifyCertificate(cert, hivePub)).toString('hex')).toBe(
      file.devices.phone.publicKey,
    )
    expect(() =>
      verifyCertificate({ ...cert, name: 'Mallory' }, hivePub),
    ).toThrow(/not signed/)
    expect(() => verifyCertificate({ ...cert, payout: null }, hivePub)).toThrow(
      /not signed/,
    )
    const otherHive = fromHex(file.devices.mac.publicKey)
    expect(() => verifyCertificate(cert, otherHive)).toThrow(/another hive/)
  })

  test('signed request verifies once, at its time, with its body', () => {
    const hive = decodeJoinCode(file.hive.joinCode)
    const v = file.signedRequest
    const check = (over: Partial<typeof v> = {}, nonces = new NonceCache()) =>
      verifyRequest(
        {
          headers: v.headers,
          method: v.method,
          path: v.path,
          body: v.body,
          ...over,
        },
        hive.key.publicKey,
        new RevocationSet(hive),
        nonces,
        Number(v.headers['x-hive-time']) + 1000,
      )
    const nonces = new NonceCache()
    expect(check({}, nonces).cert.device).toBe(
      file.devices.mac.certificate.device,
    )
    expect(() => check({}, nonces)).toThrow(/already used/)
    expect(() => check({ body: `${v.body} ` })).toThrow(/does not verify/)
    expect(() => check({ path: '/v1/hive/status' })).toThrow(/does not verify/)
    expect(() =>
      verifyRequest(
        { headers: v.headers, method: v.method, path: v.path, body: v.body },
        hive.key.publicKey,
        new RevocationSet(hive),
        new NonceCache(),
        Number(v.headers['x-hive-time']) + 61_000,
      ),
    ).toThrow(/60 s/)
    const revoked = new RevocationSet(hive, [
      { ...file.revocation, device: file.devices.mac.certificate.device },
    ])
    // That record's signature is for the phone: it must not revoke the mac.
    expect(revoked.has(file.devices.mac.certificate.device)).toBe(false)
    expect(verifyRevocation(file.revocation, hive)).toBe(true)
  })

  test('stream events verify only with their nonce and sequence number', () => {
    const key = fromHex(file.devices.phone.publicKey)
    const e = file.event
    expect(decodeEvent(e.line, e.seq, e.nonce, key)).toEqual(e.event)
    expect(() => decodeEvent(e.line, e.seq + 1, e.nonce, key)).toThrow(/order/)
    expect(() => decodeEvent(e.line, e.seq, 'other', key)).toThrow(
      /does not verify/,
    )
    const forged = e.line.replace('Hello', 'Hellp')
    expect(() => decodeEvent(forged, e.seq, e.nonce, key)).toThrow(
      /does not verify/,
    )
  })

  test('contribution receipt hash and both signatures verify', () => {
    const s = file.receipt.signed
    expect(() => verifyContribution(s, true)).not.toThrow()
    expect(() =>
      verifyContribution(
        { ...s, receipt: { ...s.receipt, completionTokens: 400 } },
        true,
      ),
    ).toThrow(/hash/)
    expect(() =>
      verifyContribution({ ...s, requesterSig: undefined }, true),
    ).toThrow(/countersigned/)
  })

  test('signatures are plain RFC 8032 Ed25519 (a second library agrees)', () => {
    const s = file.receipt.signed
    const hash = fromHex(s.hash)
    const pub = fromHex(file.devices.phone.publicKey)
    const sig = Buffer.from(s.deviceSig, 'base64url')
    expect(ed25519.verify(sig, hash, pub)).toBe(true)
    expect(
      Buffer.from(
        ed25519.getPublicKey(fromHex(file.devices.phone.secretKey)),
      ).toString('hex'),
    ).toBe(file.devices.phone.publicKey)
  })

  test('TXT record stays under 200 bytes on the wire', () => {
    expect(file.txt.wireBytes).toBeLessThanOrEqual(200)
    expect(Object.keys(file.txt.record)).toEqual([
      'txtvers',
      'id',
      'hv',
      'pv',
      'port',
    ])
  })
})
