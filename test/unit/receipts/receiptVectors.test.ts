// Receipt test vectors (docs/receipts-vectors.json, from the spec's struct,
// not from src/receipts): v1 receipts (no activation dtype) still hash and
// verify as signed, v2 receipts bind the dtype, and both envelope versions
// decode to receipts with the vectors' hashes.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import {
  buildReceipt,
  decodeOutput,
  hashReceipt,
  type Receipt,
  receiptVersion,
  signReceipt,
  verifyReceiptSignature,
} from '../../../src/receipts/index.ts'

const vectors = JSON.parse(
  readFileSync(
    join(
      import.meta.dirname,
      '..',
      '..',
      '..',
      'docs',
      'receipts-vectors.json',
    ),
    'utf8',
  ),
)
const domain = {
  chainId: vectors.domain.chainId as number,
  verifyingContract: vectors.domain.verifyingContract as Hex,
}
const account = privateKeyToAccount(vectors.privateKey)
const toReceipt = (r: Record<string, unknown>): Receipt =>
  ({
    ...r,
    taskId: BigInt(r.taskId as string),
    seed: BigInt(r.seed as string),
  }) as Receipt

describe('receipt vectors', () => {
  it('reproduces both versions: hash, deterministic signature, recovery', async () => {
    for (const v of vectors.receipts) {
      const receipt = toReceipt(v.receipt)
      expect(receiptVersion(receipt)).toBe(v.version)
      expect(hashReceipt({ ...domain, receipt })).toBe(v.hash)
      const { signature } = await signReceipt({ ...domain, account, receipt })
      expect(signature).toBe(v.signature)
      expect(
        await verifyReceiptSignature({ ...domain, receipt, signature }),
      ).toBe(true)
    }
  })

  it('binds the activation dtype: changing or dropping it breaks the v2 signature', async () => {
    const v = vectors.receipts[1]
    const receipt = toReceipt(v.receipt)
    for (const r of [
      { ...receipt, activationDtype: 'bfloat16' },
      { ...receipt, activationDtype: undefined },
    ]) {
      expect(hashReceipt({ ...domain, receipt: r })).not.toBe(v.hash)
      expect(
        await verifyReceiptSignature({
          ...domain,
          receipt: r,
          signature: v.signature,
        }),
      ).toBe(false)
    }
  })

  it('decodes PKR1 and PKR2 envelopes into the vectors’ receipts', () => {
    vectors.envelopes.forEach((e: { magic: string; hex: Hex }, i: number) => {
      const v = vectors.receipts[i]
      const env = decodeOutput(e.hex)
      expect(Buffer.from(e.hex.slice(2, 10), 'hex').toString()).toBe(e.magic)
      expect(env.tokenIds).toEqual(vectors.envelopeFields.tokenIds)
      expect(env.text).toBe(vectors.envelopeFields.text)
      expect(env.activationDtype).toBe(v.receipt.activationDtype)
      expect(env.signature).toBe(v.signature)
      const rebuilt = buildReceipt({
        task: {
          taskId: BigInt(v.receipt.taskId),
          modelDigest: v.receipt.modelDigest,
          inputHash: v.receipt.inputHash,
          input: '0x',
          samplingParams: '0x',
          seed: BigInt(v.receipt.seed),
        },
        node: v.receipt.node,
        ...env,
      })
      expect(rebuilt.activationDtype).toBe(v.receipt.activationDtype)
      expect(rebuilt.backend).toBe(v.receipt.backend)
    })
    expect(() => decodeOutput('0x504b523300000000')).toThrow(/PKR1\/PKR2/)
  })
})
