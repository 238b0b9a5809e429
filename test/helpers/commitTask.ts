// What a node commits for a task, without a chain: runs the executor (or
// takes a run), builds and signs the receipt under a fixed test domain and
// key, and encodes the output envelope. Used by the audit tests and the
// audit benchmarks (bench/audit/), which then call auditReceipt on it.
import { privateKeyToAccount } from 'viem/accounts'
import { type Execution, engineIdentity } from '../../node/executeTask.ts'
import type { Model } from '../../src/engine/model.ts'
import {
  buildReceipt,
  type CommittedResult,
  encodeOutput,
  type PostedTask,
  signReceipt,
} from '../../src/receipts/index.ts'

export const TEST_DOMAIN = {
  chainId: 31337,
  verifyingContract: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0',
} as const

export const testNodeAccount = privateKeyToAccount(`0x${'42'.repeat(32)}`)

export type CommitTaskParameters = {
  /** The task as posted (what the receipt claims). */
  task: PostedTask
  run: Execution
  /** Where it ran: the node's engine identity (default: `model`'s). */
  model: Model
  identity?: ReturnType<typeof engineIdentity>
}

export async function commitTask(
  p: CommitTaskParameters,
): Promise<CommittedResult> {
  const id = p.identity ?? engineIdentity(p.model)
  const receipt = buildReceipt({
    task: p.task,
    node: testNodeAccount.address,
    tokenIds: p.run.tokenIds,
    commitments: p.run.commitments,
    ...id,
  })
  const { hash, signature } = await signReceipt({
    ...TEST_DOMAIN,
    account: testNodeAccount,
    receipt,
  })
  return {
    node: testNodeAccount.address,
    receiptHash: hash,
    outputHash: receipt.outputHash,
    output: encodeOutput({ ...p.run, signature, ...id }),
  }
}
