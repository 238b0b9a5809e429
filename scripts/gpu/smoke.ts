// GPU smoke test, run by scripts/gpu/remote.sh after the addon is built on
// the GPU machine (Node 22: `node scripts/gpu/smoke.ts`). Prints one JSON
// object: the backend, SmolLM2's greedy tokens on the GPU (float16 and
// float32) against the CPU kernels of the same machine (a child process with
// POCKET_DEVICE=cpu), batch-1 decode tok/s, and the verified-mode questions
// of issue 14: are two GPU runs bit-identical (tokens and logits), and does
// the batch size change greedy outputs on the GPU path?
// `--cpu` prints the CPU half only (the child).
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import {
  type ActivationDtype,
  loadModel,
  type Model,
  native,
} from '../../src/engine/index.ts'
import type { GenerateOptions } from '../../src/engine/types.ts'
import { smollm2Path } from '../../test/helpers/models.ts'

const PROMPT = 'The history of the river town, told by its ferryman:'
const TOKENS = 64

async function drain(model: Model, prompt: string, o: GenerateOptions) {
  const stream = model.generate(prompt, { raw: true, promptCache: false, ...o })
  for await (const _ of stream) {
  }
  return stream.result
}

/** Greedy ids of PROMPT, then decode tok/s over 128 tokens with EOS banned. */
async function profile(dtype?: ActivationDtype) {
  const model = await loadModel(smollm2Path(), dtype ? { dtype } : {})
  try {
    const ids = (
      await drain(model, PROMPT, { temperature: 0, maxTokens: TOKENS })
    ).tokenIds
    const noEos = Object.fromEntries(
      model.tokenizer.special.eosIds.map((id) => [id, -100]),
    )
    await drain(model, 'warm up', { temperature: 0, maxTokens: 8 })
    const speed = await drain(model, PROMPT, {
      temperature: 0,
      maxTokens: 128,
      logitBias: noEos,
    })
    return {
      backend: model.info.backend,
      dtype: model.info.dtype,
      ids,
      decodeTps: speed.tokensPerSecond,
      prefillTps: speed.promptTokensPerSecond,
    }
  } finally {
    await model.dispose()
  }
}

function sameUntil(a: number[], b: number[]) {
  let i = 0
  while (i < a.length && i < b.length && a[i] === b[i]) i++
  return i
}

async function determinism() {
  const model = await loadModel(smollm2Path(), { parallel: 8 })
  try {
    const verified = {
      verified: true,
      seed: 7,
      temperature: 0.8,
      maxTokens: TOKENS,
    }
    const a = await drain(model, PROMPT, verified)
    const b = await drain(model, PROMPT, verified)
    const tokens = Int32Array.from([
      ...model.promptTokens(PROMPT, { raw: true }),
      ...a.tokenIds,
    ])
    const e1 = await model.native.evaluate({ tokens, fullLogits: true })
    const e2 = await model.native.evaluate({ tokens, fullLogits: true })
    const l1 = e1.logits as Float32Array
    const l2 = e2.logits as Float32Array
    let maxDiff = 0
    for (let i = 0; i < l1.length; i++)
      maxDiff = Math.max(
        maxDiff,
        Math.abs((l1[i] as number) - (l2[i] as number)),
      )
    const prompts = Array.from(
      { length: 8 },
      (_, i) => `${['Fact', 'Story', 'Note', 'Law'][i % 4]} ${i}: ${PROMPT}`,
    )
    const greedy = { temperature: 0, maxTokens: 32 }
    const alone: number[][] = []
    for (const p of prompts)
      alone.push((await drain(model, p, greedy)).tokenIds)
    const together = (
      await Promise.all(prompts.map((p) => drain(model, p, greedy)))
    ).map((s) => s.tokenIds)
    return {
      verifiedRunsIdentical:
        JSON.stringify(a.tokenIds) === JSON.stringify(b.tokenIds),
      logitsBitIdentical: Buffer.from(l1.buffer).equals(Buffer.from(l2.buffer)),
      logitsMaxDiff: maxDiff,
      batch8GreedySameAsBatch1: together.filter(
        (t, i) => JSON.stringify(t) === JSON.stringify(alone[i]),
      ).length,
      batch8FirstDivergence: together.map((t, i) =>
        sameUntil(t, alone[i] ?? []),
      ),
    }
  } finally {
    await model.dispose()
  }
}

if (process.argv.includes('--cpu')) {
  console.log(JSON.stringify(await profile()))
} else {
  const backend = native().backend()
  const cpu = JSON.parse(
    execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--cpu'], {
      env: { ...process.env, POCKET_DEVICE: 'cpu' },
      maxBuffer: 1 << 22,
    })
      .toString()
      .trim()
      .split('\n')
      .pop() as string,
  )
  const gpu16 = await profile()
  const gpu32 = await profile('float32')
  const result = {
    date: new Date().toISOString(),
    backend,
    mlxVersion: native().mlxVersion,
    model: 'SmolLM2-135M-Instruct Q4_1',
    prompt: PROMPT,
    cpu,
    gpu: [gpu16, gpu32].map((g) => ({
      ...g,
      sameTokensAsCpu: sameUntil(g.ids, cpu.ids),
      ofTokens: TOKENS,
    })),
    determinism: await determinism(),
  }
  console.log(JSON.stringify(result, null, 1))
}
