// Canonical on-chain encodings of a task's input and sampling parameters,
// and their hashes. Canonical = JSON with a fixed key order, UTF-8, so the
// same task always hashes the same.
import { type Hex, hexToString, keccak256, stringToHex } from 'viem'
import { SamplingParamsError } from './errors.ts'
import type { TaskInput, TaskSampling } from './types.ts'

const SAMPLING_KEYS = [
  'temperature',
  'topK',
  'topP',
  'minP',
  'maxTokens',
] as const

/** Fills defaults (greedy, no truncation, 32 tokens) and orders the keys. */
export function normalizeSampling(s: Partial<TaskSampling>): TaskSampling {
  const out: TaskSampling = {
    temperature: s.temperature ?? 0,
    topK: s.topK ?? 0,
    topP: s.topP ?? 1,
    minP: s.minP ?? 0,
    maxTokens: s.maxTokens ?? 32,
  }
  for (const key of SAMPLING_KEYS) {
    const v = out[key]
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new SamplingParamsError(`Sampling "${key}" must be a number >= 0.`)
  }
  if (!Number.isInteger(out.maxTokens) || out.maxTokens < 1)
    throw new SamplingParamsError('Sampling "maxTokens" must be >= 1.')
  return out
}

export function encodeSampling(s: Partial<TaskSampling>): Hex {
  const n = normalizeSampling(s)
  return stringToHex(JSON.stringify(n, SAMPLING_KEYS as unknown as string[]))
}

/** Decodes and re-checks canonicity: a non-canonical encoding is rejected. */
export function decodeSampling(bytes: Hex): TaskSampling {
  let parsed: Partial<TaskSampling>
  try {
    parsed = JSON.parse(hexToString(bytes))
  } catch (cause) {
    throw new SamplingParamsError('Sampling parameters are not JSON.', {
      cause,
    })
  }
  const s = normalizeSampling(parsed)
  if (encodeSampling(s) !== bytes)
    throw new SamplingParamsError('Sampling parameters are not canonical.')
  return s
}

export function encodeInput(input: TaskInput): Hex {
  return stringToHex(JSON.stringify(input))
}

export function decodeInput(bytes: Hex): TaskInput {
  const parsed = JSON.parse(hexToString(bytes)) as TaskInput
  if (
    !parsed ||
    !(
      ('prompt' in parsed && typeof parsed.prompt === 'string') ||
      ('messages' in parsed && Array.isArray(parsed.messages))
    )
  )
    throw new SamplingParamsError('Task input has neither prompt nor messages.')
  return parsed
}

/** keccak256 of any on-chain byte field (input, sampling parameters). */
export function hashBytes(bytes: Hex): Hex {
  return keccak256(bytes)
}
