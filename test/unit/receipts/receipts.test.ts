// Receipts: EIP-712 hashing and signature recovery, tampering detection,
// the canonical commitment and output encodings, the model digest manifest.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { keccak256, toHex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import {
  buildReceipt,
  commitmentHash,
  decodeCommitments,
  decodeOutput,
  decodeSampling,
  encodeCommitments,
  encodeInput,
  encodeOutput,
  encodeSampling,
  hashBytes,
  hashReceipt,
  modelDigest,
  outputHash,
  signReceipt,
  verifyReceiptSignature,
} from '../../../src/receipts/index.ts'

const account = privateKeyToAccount(generatePrivateKey())
const domain = {
  chainId: 31337,
  verifyingContract: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0' as const,
}
const commitments = [
  { index: 31, indices: [5, 9, 100], values: [12.5, -3.25, 0.125] },
  { index: 40, indices: [7, 8, 1], values: [1, 2, 3] },
]
const input = encodeInput({ prompt: 'hi', raw: true })
const task = {
  taskId: (1n << 96n) | 7n,
  modelDigest: keccak256(toHex('model')),
  inputHash: hashBytes(input),
  input,
  samplingParams: encodeSampling({ temperature: 0.7, maxTokens: 41 }),
  seed: 42n,
}
const receipt = buildReceipt({
  task,
  node: account.address,
  tokenIds: Array.from({ length: 41 }, (_, i) => i * 1000),
  commitments,
  engine: 'pocket/0.1.0',
  backend: 'mlx-cpu',
  deviceClass: 'linux-x64',
})

describe('receipts', () => {
  it('signs and recovers the node, and any field change breaks it', async () => {
    const { hash, signature } = await signReceipt({
      ...domain,
      account,
      receipt,
    })
    expect(hash).toBe(hashReceipt({ ...domain, receipt }))
    expect(
      await verifyReceiptSignature({ ...domain, receipt, signature }),
    ).toBe(true)
    const tampered = [
      { ...receipt, seed: 43n },
      { ...receipt, outputHash: outputHash([1, 2, 3]) },
      { ...receipt, modelDigest: keccak256(toHex('other')) },
      { ...receipt, deviceClass: 'darwin-arm64' },
      { ...receipt, commitmentHash: commitmentHash(commitments.slice(1)) },
    ]
    for (const r of tampered) {
      expect(hashReceipt({ ...domain, receipt: r })).not.toBe(hash)
      expect(
        await verifyReceiptSignature({ ...domain, receipt: r, signature }),
      ).toBe(false)
    }
    // another deployment (domain) does not accept the signature
    expect(
      await verifyReceiptSignature({
        ...domain,
        chainId: 1,
        receipt,
        signature,
      }),
    ).toBe(false)
  })

  it('round-trips commitments and the output envelope canonically', async () => {
    const bytes = encodeCommitments(commitments)
    expect(bytes.length).toBe(4 + 2 * (6 + 3 * 6))
    const back = decodeCommitments(bytes)
    expect(back.map((c) => Array.from(c.values))).toEqual(
      commitments.map((c) => c.values),
    )
    expect(commitmentHash(back)).toBe(commitmentHash(commitments))
    const { signature } = await signReceipt({ ...domain, account, receipt })
    const env = {
      tokenIds: [1, 2, 49151],
      commitments,
      signature,
      engine: 'e',
      backend: 'b',
      deviceClass: 'd',
      text: 'héllo',
    }
    const decoded = decodeOutput(encodeOutput(env))
    expect(decoded.tokenIds).toEqual(env.tokenIds)
    expect(decoded.text).toBe('héllo')
    expect(decoded.signature).toBe(signature)
    expect(() => decodeOutput('0x1234')).toThrow(/PKR1/)
    expect(() => decodeOutput(`${encodeOutput(env)}00`)).toThrow(/trailing/)
  })

  it('hashes token ids order-sensitively and rejects non-canonical sampling', () => {
    expect(outputHash([1, 2])).not.toBe(outputHash([2, 1]))
    expect(outputHash([1])).not.toBe(outputHash([1, 0]))
    expect(decodeSampling(task.samplingParams).maxTokens).toBe(41)
    expect(() =>
      decodeSampling(toHex('{"maxTokens":41,"temperature":0.7}')),
    ).toThrow(/canonical/)
  })

  it('digests a canonical manifest independent of location and order', async () => {
    const a = mkdtempSync(join(tmpdir(), 'digest-a-'))
    const b = mkdtempSync(join(tmpdir(), 'digest-b-'))
    for (const d of [a, b]) {
      writeFileSync(join(d, 'model-00001.safetensors'), 'one')
      writeFileSync(join(d, 'model-00002.safetensors'), 'two')
    }
    const da = await modelDigest({
      files: [
        join(a, 'model-00001.safetensors'),
        join(a, 'model-00002.safetensors'),
      ],
      root: a,
    })
    const db = await modelDigest({
      files: [
        join(b, 'model-00002.safetensors'),
        join(b, 'model-00001.safetensors'),
      ],
      root: b,
    })
    expect(da.digest).toBe(db.digest)
    expect(da.manifest.split('\n')[0]).toMatch(
      /^model-00001\.safetensors\t3\t[0-9a-f]{64}$/,
    )
    writeFileSync(join(b, 'model-00002.safetensors'), 'tw0')
    const changed = await modelDigest({
      files: [
        join(b, 'model-00001.safetensors'),
        join(b, 'model-00002.safetensors'),
      ],
      root: b,
    })
    expect(changed.digest).not.toBe(da.digest)
  })
})
