// GenerateOptions -> the addon's request object, with range checks that
// name the offending parameter (the addon re-checks everything).
import { InvalidOptionError } from './errors.ts'
import type { NativeGenerateRequest } from './native.ts'
import { type GenerateOptions, PROMPT_LOOKUP } from './types.ts'

function num(
  name: string,
  v: unknown,
  min: number,
  max: number,
): number | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new InvalidOptionError(name, 'must be a finite number')
  if (v < min || v > max)
    throw new InvalidOptionError(name, `must be between ${min} and ${max}`)
  return v
}

function int(
  name: string,
  v: unknown,
  min: number,
  max: number,
): number | undefined {
  const n = num(name, v, min, max)
  if (n !== undefined && !Number.isInteger(n))
    throw new InvalidOptionError(name, 'must be an integer')
  return n
}

function positive(name: string, v: unknown, max: number): number | undefined {
  const n = num(name, v, 0, max)
  if (n === 0)
    throw new InvalidOptionError(
      name,
      `must be greater than 0 and at most ${max}`,
    )
  return n
}

export function toNativeRequest(
  tokens: number[],
  o: GenerateOptions,
  eosIds: number[],
): NativeGenerateRequest {
  const maxTokens = int('max_tokens', o.maxTokens, -1, 1 << 24)
  if (maxTokens === 0)
    throw new InvalidOptionError('max_tokens', 'must be -1 or at least 1')
  const logitBias: [number, number][] = []
  for (const [k, v] of Object.entries(o.logitBias ?? {})) {
    const id = Number(k)
    if (!Number.isInteger(id) || id < 0)
      throw new InvalidOptionError('logit_bias', `"${k}" is not a token id`)
    logitBias.push([id, num('logit_bias', v, -100, 100) as number])
  }
  if (
    o.stop !== undefined &&
    (!Array.isArray(o.stop) || o.stop.some((s) => typeof s !== 'string'))
  )
    throw new InvalidOptionError('stop', 'must be a list of strings')
  const temperature = num('temperature', o.temperature, 0, 100) ?? 0.8
  if (o.verified && temperature > 0 && o.seed === undefined)
    throw new InvalidOptionError(
      'seed',
      'verified mode requires an explicit seed',
    )
  return {
    tokens: Int32Array.from(tokens),
    temperature,
    topK: int('top_k', o.topK, 0, 1 << 20),
    topP: positive('top_p', o.topP, 1),
    minP: num('min_p', o.minP, 0, 1),
    repetitionPenalty: positive('repeat_penalty', o.repetitionPenalty, 100),
    repetitionContextSize: int(
      'repetition_context_size',
      o.repetitionContextSize,
      0,
      1 << 20,
    ),
    presencePenalty: num('presence_penalty', o.presencePenalty, -2, 2),
    frequencyPenalty: num('frequency_penalty', o.frequencyPenalty, -2, 2),
    logitBias,
    seed: int('seed', o.seed, 0, Number.MAX_SAFE_INTEGER - 1),
    maxTokens: maxTokens ?? -1,
    stopTokenIds: [...eosIds, ...(o.stopTokenIds ?? [])],
    ...(o.resumeTokens?.length ? { resumedTokens: o.resumeTokens.length } : {}),
    verified: o.verified ?? false,
    promptCache: o.promptCache ?? true,
    logprobs: o.logprobs ?? false,
    commitTopK: int('commit_top_k', o.commitTopK, 0, 4096) ?? 0,
    ...(o.grammar
      ? { grammar: { kind: o.grammar.kind, text: o.grammar.text } }
      : {}),
    ...(o.imageEmbeddings ? { imageEmbeddings: o.imageEmbeddings } : {}),
    ...(o.draftModel
      ? {
          ...(o.draftModel === PROMPT_LOOKUP
            ? { promptLookup: true }
            : { draftModel: o.draftModel.native }),
          numDraftTokens: int('num_draft_tokens', o.numDraftTokens, 1, 32) ?? 4,
        }
      : {}),
    topLogprobs: o.logprobs
      ? (int('top_logprobs', o.topLogprobs, 0, 20) ?? 0)
      : 0,
  }
}
