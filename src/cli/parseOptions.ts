// Option parsers shared by the commands. Commander calls them with the raw
// string; a bad value becomes commander's own one-line usage error.
import { type Command, InvalidArgumentError } from 'commander'
import type { GenerateOptions } from '../engine/types.ts'

export function parseInteger(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n)) throw new InvalidArgumentError('Not an integer.')
  return n
}

export function parseNumber(value: string): number {
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n))
    throw new InvalidArgumentError('Not a number.')
  return n
}

/** `128,512` -> [128, 512]. */
export function parseIntegerList(value: string): number[] {
  const list = value.split(',').map((v) => parseInteger(v.trim()))
  if (list.some((n) => n <= 0))
    throw new InvalidArgumentError('Expected positive integers.')
  return list
}

/** `<think>,</think>` -> the tags around a model's reasoning. */
export function parseReasoningTags(value: string): {
  open: string
  close: string
} {
  const [open, close, ...rest] = value.split(',').map((t) => t.trim())
  if (!open || !close || rest.length > 0)
    throw new InvalidArgumentError(
      'Expected "<open>,<close>", e.g. "<think>,</think>".',
    )
  return { open, close }
}

/** Sampling flags as commander hands them over. */
export type SamplingFlags = {
  maxTokens?: number
  temperature?: number
  topP?: number
  topK?: number
  seed?: number
}

export function toGenerateOptions(flags: SamplingFlags): GenerateOptions {
  return {
    maxTokens: flags.maxTokens,
    temperature: flags.temperature,
    topP: flags.topP,
    topK: flags.topK,
    seed: flags.seed,
  }
}

/** Adds --max-tokens, --temperature, --top-p, --top-k and --seed. */
export function addSamplingOptions(command: Command, maxTokens = 256): Command {
  return command
    .option(
      '-n, --max-tokens <n>',
      'maximum completion tokens',
      parseInteger,
      maxTokens,
    )
    .option(
      '-t, --temperature <t>',
      'sampling temperature (0 = greedy)',
      parseNumber,
    )
    .option('--top-p <p>', 'nucleus sampling threshold', parseNumber)
    .option(
      '--top-k <k>',
      'sample among the k most likely tokens',
      parseInteger,
    )
    .option(
      '--seed <seed>',
      'PRNG seed for reproducible sampling',
      parseInteger,
    )
}
