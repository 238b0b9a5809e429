// bench:audit — audit time / generation time for 256-token outputs on
// SmolLM2-135M Q4_1 (goal <= 25%), receipt/commitment/envelope sizes, and
// the calldata share of commitResult gas. Writes bench/results/audit.json.
import { writeFileSync } from 'node:fs'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { executeTask } from '../node/executeTask.ts'
import { loadModel } from '../src/engine/loadModel.ts'
import {
  auditOutput,
  buildReceipt,
  encodeCommitments,
  encodeInput,
  encodeOutput,
  encodeSampling,
  hashBytes,
  signReceipt,
} from '../src/receipts/index.ts'
import { smollm2Path } from '../test/helpers/models.ts'

const model = await loadModel(smollm2Path())
const account = privateKeyToAccount(generatePrivateKey())
const prompts = [
  'Write a long essay about the history of sailing ships.',
  'Explain in detail how a compiler works.',
  'Tell a long story about a fox in a forest.',
]
const rows: Record<string, unknown>[] = []
for (const [i, prompt] of prompts.entries()) {
  const input = encodeInput({
    prompt: `<|im_start|>user\n${prompt}<|im_end|>\n<|im_start|>assistant\n`,
    raw: true,
  })
  const task = {
    taskId: BigInt(i + 1),
    modelDigest: `0x${'11'.repeat(32)}` as const,
    inputHash: hashBytes(input),
    input,
    samplingParams: encodeSampling({ temperature: 0.7, maxTokens: 256 }),
    seed: BigInt(1000 + i),
  }
  const t0 = performance.now()
  const run = await executeTask(model, task)
  const gen = performance.now() - t0
  const t1 = performance.now()
  const report = await auditOutput(model, {
    promptTokens: model.promptTokens(
      `<|im_start|>user\n${prompt}<|im_end|>\n<|im_start|>assistant\n`,
      { raw: true },
    ),
    completionTokens: run.tokenIds,
    sampling: { temperature: 0.7, seed: Number(task.seed) },
    commitments: run.commitments,
  })
  const audit = performance.now() - t1
  const receipt = buildReceipt({
    task,
    node: account.address,
    ...run,
    engine: 'pocket/0.1.0',
    backend: 'mlx-cpu',
    deviceClass: 'linux-x64',
    activationDtype: 'float32',
  })
  const { signature } = await signReceipt({
    chainId: 31337,
    verifyingContract: account.address,
    account,
    receipt,
  })
  const envelope =
    (encodeOutput({
      ...run,
      signature,
      engine: 'pocket/0.1.0',
      backend: 'mlx-cpu',
      deviceClass: 'linux-x64',
      activationDtype: 'float32',
    }).length -
      2) /
    2
  rows.push({
    tokens: run.tokenIds.length,
    generationMs: Math.round(gen),
    auditMs: Math.round(audit),
    ratio: +(audit / gen).toFixed(3),
    auditOk: report.ok,
    commitmentBytes: encodeCommitments(run.commitments).length,
    envelopeBytes: envelope,
    calldataGas: envelope * 16,
  })
  console.table([rows.at(-1)])
}
const mean = (k: 'ratio') =>
  +(rows.reduce((a, r) => a + Number(r[k]), 0) / rows.length).toFixed(3)
const result = {
  model: 'SmolLM2-135M-Instruct Q4_1',
  commitTopK: 16,
  receiptHashBytes: 32,
  signatureBytes: 65,
  rows,
  meanAuditOverGeneration: mean('ratio'),
  goal: 0.25,
  date: new Date().toISOString(),
}
console.log(
  `audit / generation: ${(result.meanAuditOverGeneration * 100).toFixed(1)}% (goal <= 25%)`,
)
writeFileSync(
  'bench/results/audit.json',
  `${JSON.stringify(result, null, 2)}\n`,
)
await model.dispose()
