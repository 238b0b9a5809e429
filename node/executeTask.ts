// Runs a task in verified mode (DESIGN §3): batch 1, fixed chunking, the
// task's seed, activation commitments on. Returns what goes in the receipt.
import { arch, platform } from 'node:os'
import { backendString, engineBackend } from '../src/engine/engineBackend.ts'
import type { Model } from '../src/engine/model.ts'
import {
  type Commitment,
  decodeInput,
  decodeSampling,
  type PostedTask,
} from '../src/receipts/index.ts'

export type Execution = {
  tokenIds: number[]
  commitments: Commitment[]
  text: string
}

/** How a daemon turns a task into an execution (tests swap in cheaters). */
export type Executor = (model: Model, task: PostedTask) => Promise<Execution>

/** Top-k entries per 32-token chunk (node/README.md: sizes). */
export const COMMIT_TOP_K = 16

/**
 * Engine, backend, device class and activation dtype recorded in every
 * receipt. The backend names the kernels and the dtype that ran the model
 * (`mlx-cuda/0.32.4/float16`, see backendString); the device class adds the
 * GPU's name when there is one (`linux-x64-cuda-NVIDIA H200`); the audit's
 * tolerances follow `activationDtype` (src/receipts/auditPolicy.ts).
 */
export function engineIdentity(model?: Pick<Model, 'info'>) {
  let backend = `mlx-unknown/unknown/${model?.info.dtype ?? 'float32'}`
  let deviceClass = `${platform()}-${arch()}`
  let activationDtype = model?.info.dtype ?? 'float32'
  try {
    const b = engineBackend()
    backend = backendString({
      backend: model?.info.backend ?? b.name,
      dtype: model?.info.dtype ?? b.defaultDtype,
    })
    activationDtype = model?.info.dtype ?? b.defaultDtype
    if (b.device === 'gpu') deviceClass += `-${b.kind}-${b.deviceName}`
  } catch {}
  return { engine: 'pocket/0.1.0', backend, deviceClass, activationDtype }
}

/** The honest executor. */
export const executeTask: Executor = async (model, task) => {
  const input = decodeInput(task.input)
  const s = decodeSampling(task.samplingParams)
  const options = {
    verified: true,
    seed: Number(task.seed),
    temperature: s.temperature,
    topK: s.topK,
    topP: s.topP,
    minP: s.minP,
    maxTokens: s.maxTokens,
    commitTopK: COMMIT_TOP_K,
  }
  const stream =
    'prompt' in input
      ? model.generate(input.prompt, { ...options, raw: input.raw })
      : model.generate(input.messages, options)
  let text = ''
  for await (const chunk of stream) text += chunk.text
  const stats = await stream.result
  return {
    tokenIds: stats.tokenIds,
    commitments: stats.commitments,
    text: model.detokenize(stats.tokenIds),
  }
}
