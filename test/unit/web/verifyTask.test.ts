// The market view's in-browser receipt check against receipts made by the
// node's own code (buildReceipt + signReceipt + encodeOutput): an honest
// one is verified; a changed answer, token, input, seed, signer or
// committed hash each fails the check that covers it.
import type { Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { buildReceipt } from '../../../src/receipts/buildReceipt.ts'
import { encodeOutput } from '../../../src/receipts/outputEnvelope.ts'
import { signReceipt } from '../../../src/receipts/signReceipt.ts'
import {
  encodeInput,
  encodeSampling,
  hashBytes,
} from '../../../src/receipts/taskEncoding.ts'
import { verifyTask } from '../../../web/src/market/verifyTask.ts'

// Hardhat's public development keys (accounts 2 and 3)
const node = privateKeyToAccount(
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
)
const other = privateKeyToAccount(
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
)
const domain = {
  chainId: 31337,
  verifyingContract: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0' as const,
}

async function committed(signer = node) {
  const input = encodeInput({ messages: [{ role: 'user', content: 'Hi' }] })
  const task = {
    taskId: 123456789n,
    modelDigest: `0x${'ab'.repeat(32)}` as Hex,
    inputHash: hashBytes(input),
    input,
    samplingParams: encodeSampling({ temperature: 0, maxTokens: 8 }),
    seed: 42n,
  }
  const run = {
    tokenIds: [11, 22, 33],
    commitments: [{ index: 2, indices: [1, 7], values: [0.5, -1.25] }],
    engine: 'pocket/0.1.0',
    backend: 'mlx-cpu',
    deviceClass: 'linux-x64',
    activationDtype: 'float32',
  }
  const receipt = buildReceipt({ task, node: node.address, ...run })
  const { hash, signature } = await signReceipt({
    ...domain,
    account:
      signer === node
        ? node
        : {
            address: node.address,
            signTypedData: (d) => other.signTypedData(d as never),
          },
    receipt,
  })
  return {
    task: {
      id: task.taskId.toString(),
      modelDigest: task.modelDigest,
      inputHash: task.inputHash,
      input: task.input,
      samplingParams: task.samplingParams,
      seed: task.seed.toString(),
      node: node.address.toLowerCase() as Hex,
    },
    receipt: {
      node: node.address,
      receiptHash: hash,
      outputHash: receipt.outputHash,
      output: encodeOutput({ ...run, signature, text: 'Hello!' }),
    },
    chainId: domain.chainId,
    taskMarket: domain.verifyingContract,
  }
}

const failed = (r: Awaited<ReturnType<typeof verifyTask>>) =>
  r.checks.filter((c) => !c.ok).map((c) => c.name)

describe('verifyTask (market view)', () => {
  it('verifies an honest receipt and returns the answer', async () => {
    const r = await verifyTask(await committed())
    expect(r.verified).toBe(true)
    expect(r.text).toBe('Hello!')
    expect(r.signer).toBe(node.address)
    expect(r.checks.map((c) => c.name)).toEqual([
      'output envelope',
      'input hash',
      'output hash',
      'receipt hash (EIP-712)',
      'node signature',
    ])
  })

  it('fails when the input was changed after posting', async () => {
    const p = await committed()
    p.task.input = encodeInput({ messages: [{ role: 'user', content: 'Ho' }] })
    const r = await verifyTask(p)
    expect(r.verified).toBe(false)
    expect(failed(r)).toContain('input hash')
  })

  it('fails when the seed differs from the one signed', async () => {
    const p = await committed()
    p.task.seed = '43'
    const r = await verifyTask(p)
    expect(failed(r)).toEqual(['receipt hash (EIP-712)', 'node signature'])
  })

  it('fails when a token id in the output was changed', async () => {
    const p = await committed()
    // the first token id is bytes 8..11 of the envelope
    const bytes = p.receipt.output.slice(2)
    p.receipt.output =
      `0x${bytes.slice(0, 16)}000000ff${bytes.slice(24)}` as Hex
    const r = await verifyTask(p)
    expect(failed(r)).toEqual([
      'output hash',
      'receipt hash (EIP-712)',
      'node signature',
    ])
  })

  it('fails when another key signed', async () => {
    const r = await verifyTask(await committed(other))
    expect(failed(r)).toEqual(['node signature'])
    expect(r.signer).toBe(other.address)
  })

  it('fails when the committed receipt hash differs', async () => {
    const p = await committed()
    p.receipt.receiptHash = `0x${'00'.repeat(32)}`
    expect(failed(await verifyTask(p))).toEqual(['receipt hash (EIP-712)'])
  })

  it('reports an undecodable envelope instead of throwing', async () => {
    const p = await committed()
    p.receipt.output = '0x1234'
    const r = await verifyTask(p)
    expect(r.verified).toBe(false)
    expect(r.checks).toHaveLength(1)
    expect(r.checks[0]?.detail).toMatch(/PKR/)
  })
})
