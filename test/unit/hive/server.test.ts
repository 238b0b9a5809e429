// A hive member inside the server, with the fake model (no weights, no
// peers, no DNS-SD): the `hive` request field is validated, a lone member
// serves itself, member endpoints need a hive signature, and the signed
// status verifies.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { issueCertificate } from '../../../src/hive/certificate.ts'
import {
  canonicalJson,
  fromBase64url,
  sha256,
} from '../../../src/hive/encoding.ts'
import { HiveMember } from '../../../src/hive/HiveMember.ts'
import { hiveFromSecret } from '../../../src/hive/joinCode.ts'
import { generateKeyPair, verify } from '../../../src/hive/keys.ts'
import { signRequest } from '../../../src/hive/signedRequest.ts'
import { startFakeServer } from '../../helpers/fakeServer.ts'

const hive = hiveFromSecret(generateKeyPair().secretKey, 10n ** 16n)
const key = generateKeyPair()
const member = new HiveMember({
  hive,
  device: key,
  cert: issueCertificate(hive, key, { name: 'solo' }),
  dir: null,
  discovery: false,
  power: { read: async () => ({ battery: null, thermal: 'nominal' }) },
})
let srv: Awaited<ReturnType<typeof startFakeServer>>
let plain: Awaited<ReturnType<typeof startFakeServer>>
beforeAll(async () => {
  srv = await startFakeServer({ hive: member, modelOptions: { reply: 'ok' } })
  await member.start(srv.url)
  plain = await startFakeServer({ modelOptions: { reply: 'ok' } })
})
afterAll(async () => {
  await srv.close()
  await plain.close()
})

const chat = (url: string, extra: object) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'tiny-chat',
      messages: [{ role: 'user', content: 'hi' }],
      ...extra,
    }),
  })

describe('hive member in the server', () => {
  test("'hive' on a server outside a hive is a 400", async () => {
    const r = await chat(plain.url, { hive: { redundancy: 2 } })
    expect(r.status).toBe(400)
    expect(((await r.json()) as { error: { param: string } }).error.param).toBe(
      'hive',
    )
  })

  test('unknown hive fields are a 400 naming them', async () => {
    const r = await chat(srv.url, { hive: { bogus: 1 } })
    expect(r.status).toBe(400)
    expect(JSON.stringify(await r.json())).toContain('bogus')
  })

  test('a lone member serves itself', async () => {
    const r = await chat(srv.url, {})
    expect(r.status).toBe(200)
    expect(JSON.parse(r.headers.get('x-pocket-hive') as string)).toEqual({
      coordinator: member.device,
      served: member.device,
    })
  })

  test('pinning an unknown device is a 503', async () => {
    const r = await chat(srv.url, { hive: { device: 'f'.repeat(32) } })
    expect(r.status).toBe(503)
  })

  test('member endpoints need a hive signature; the status is signed', async () => {
    expect((await fetch(`${srv.url}/v1/hive/status`)).status).toBe(401)
    const other = generateKeyPair()
    const cert = issueCertificate(hive, other, { name: 'peer' })
    const r = await fetch(`${srv.url}/v1/hive/status`, {
      headers: signRequest({ cert, key: other }, 'GET', '/v1/hive/status'),
    })
    expect(r.status).toBe(200)
    const { status, sig } = (await r.json()) as { status: object; sig: string }
    expect(
      verify(fromBase64url(sig), sha256(canonicalJson(status)), key.publicKey),
    ).toBe(true)
    expect(status).toMatchObject({
      v: 1,
      queue: 0,
      available: expect.arrayContaining(['tiny-chat']),
    })
  })
})
