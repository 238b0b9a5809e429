// "verified ✓", computed in the browser: the committed output envelope is
// decoded, the receipt is rebuilt from the task as posted and the output
// (src/receipts, the same code the node and requester run), its hashes are
// recomputed and compared with the ones committed on chain, and the EIP-712
// signature is recovered with viem and compared with the assigned node.
import {
  type Address,
  type Hex,
  isAddressEqual,
  keccak256,
  recoverTypedDataAddress,
} from 'viem'
import { buildReceipt } from '../../../src/receipts/buildReceipt.ts'
import { hashReceipt } from '../../../src/receipts/hashReceipt.ts'
import { decodeOutput } from '../../../src/receipts/outputEnvelope.ts'
import { receiptTypedData } from '../../../src/receipts/typedData.ts'
import type { Receipt } from '../../../src/receipts/types.ts'
import type { IndexedReceipt, IndexedTask } from './types.ts'

export type Check = { name: string; ok: boolean; detail: string }

export type TaskVerification = {
  verified: boolean
  checks: Check[]
  text: string | null
  receipt: Receipt | null
  signer: Address | null
}

export type VerifyTaskParameters = {
  task: Pick<
    IndexedTask,
    | 'id'
    | 'modelDigest'
    | 'inputHash'
    | 'input'
    | 'samplingParams'
    | 'seed'
    | 'node'
  >
  receipt: Pick<
    IndexedReceipt,
    'node' | 'receiptHash' | 'outputHash' | 'output'
  >
  chainId: number
  taskMarket: Address
}

const same = (a: Hex, b: Hex) => a.toLowerCase() === b.toLowerCase()

export async function verifyTask(
  p: VerifyTaskParameters,
): Promise<TaskVerification> {
  const checks: Check[] = []
  const fail = (): TaskVerification => ({
    verified: false,
    checks,
    text: null,
    receipt: null,
    signer: null,
  })
  let env: ReturnType<typeof decodeOutput>
  try {
    env = decodeOutput(p.receipt.output)
    checks.push({
      name: 'output envelope',
      ok: true,
      detail: `${env.tokenIds.length} tokens, ${env.commitments.length} commitments, ${env.backend}`,
    })
  } catch (e) {
    checks.push({
      name: 'output envelope',
      ok: false,
      detail: (e as Error).message,
    })
    return fail()
  }
  const inputHash = keccak256(p.task.input)
  checks.push({
    name: 'input hash',
    ok: same(inputHash, p.task.inputHash),
    detail: `keccak256(input) = ${inputHash}`,
  })
  const receipt = buildReceipt({
    task: {
      taskId: BigInt(p.task.id),
      modelDigest: p.task.modelDigest,
      inputHash: p.task.inputHash,
      input: p.task.input,
      samplingParams: p.task.samplingParams,
      seed: BigInt(p.task.seed),
    },
    node: p.receipt.node,
    ...env,
  })
  checks.push({
    name: 'output hash',
    ok: same(receipt.outputHash, p.receipt.outputHash),
    detail: `keccak256(token ids) = ${receipt.outputHash}`,
  })
  const domain = { chainId: p.chainId, verifyingContract: p.taskMarket }
  const hash = hashReceipt({ ...domain, receipt })
  checks.push({
    name: 'receipt hash (EIP-712)',
    ok: same(hash, p.receipt.receiptHash),
    detail: `recomputed ${hash}`,
  })
  let signer: Address | null = null
  try {
    signer = await recoverTypedDataAddress({
      ...receiptTypedData(domain, receipt),
      signature: env.signature,
    })
  } catch (e) {
    checks.push({
      name: 'node signature',
      ok: false,
      detail: (e as Error).message,
    })
  }
  if (signer) {
    const assigned = p.task.node ?? p.receipt.node
    const ok =
      isAddressEqual(signer, p.receipt.node) && isAddressEqual(signer, assigned)
    checks.push({
      name: 'node signature',
      ok,
      detail: `recovered ${signer}`,
    })
  }
  return {
    verified: checks.every((c) => c.ok),
    checks,
    text: env.text,
    receipt,
    signer,
  }
}
