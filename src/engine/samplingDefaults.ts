// A model's own sampling defaults, applied to every parameter a request
// leaves out: Hugging Face `generation_config.json` (temperature, top_p,
// top_k, min_p, repetition_penalty; `do_sample: false` means greedy) and the
// `general.sampling.*` keys llama.cpp's converter writes into GGUF files
// from it. Values outside the engine's ranges are ignored, so a bad file can
// never make a request fail. Verified mode never uses them: a marketplace
// task states every parameter, and its audit must see the same ones.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { NativeMetadataValue } from './native.ts'
import type { GenerateOptions, SamplingDefaults } from './types.ts'

export type { SamplingDefaults }

type Key = keyof SamplingDefaults

const VALID: Record<Key, (v: number) => boolean> = {
  temperature: (v) => v >= 0 && v <= 100,
  topK: (v) => Number.isInteger(v) && v >= 0,
  topP: (v) => v > 0 && v <= 1,
  minP: (v) => v >= 0 && v <= 1,
  repetitionPenalty: (v) => v > 0 && v <= 100,
  repetitionContextSize: (v) => Number.isInteger(v) && v >= 0,
}

function clean(raw: Partial<Record<Key, unknown>>): SamplingDefaults {
  const out: SamplingDefaults = {}
  for (const key of Object.keys(VALID) as Key[]) {
    const v = raw[key]
    if (typeof v === 'number' && Number.isFinite(v) && VALID[key](v))
      out[key] = v
  }
  return out
}

/** From GGUF metadata (`general.sampling.temp`, `.top_k`, `.top_p`, ...). */
export function samplingDefaultsFromGguf(
  meta: Record<string, NativeMetadataValue>,
): SamplingDefaults {
  const k = (name: string) => meta[`general.sampling.${name}`]
  return clean({
    temperature: k('temp'),
    topK: k('top_k'),
    topP: k('top_p'),
    minP: k('min_p'),
    repetitionPenalty: k('penalty_repeat'),
    repetitionContextSize: k('penalty_last_n'),
  })
}

/** From a parsed `generation_config.json`. */
export function samplingDefaultsFromGenerationConfig(
  json: Record<string, unknown>,
): SamplingDefaults {
  if (json.do_sample === false) return { temperature: 0 }
  return clean({
    temperature: json.temperature,
    topK: json.top_k,
    topP: json.top_p,
    minP: json.min_p,
    repetitionPenalty: json.repetition_penalty,
  })
}

export type GenerationConfig = {
  samplingDefaults: SamplingDefaults
  /** `eos_token_id` (Llama 3 lists every end-of-turn token here). */
  eosIds: number[]
}

/** A model folder's `generation_config.json`, if it has a readable one. */
export function readGenerationConfig(dir: string): GenerationConfig {
  const path = join(dir, 'generation_config.json')
  let json: Record<string, unknown> = {}
  if (existsSync(path)) {
    try {
      const parsed = JSON.parse(readFileSync(path, 'utf8'))
      if (parsed && typeof parsed === 'object') json = parsed
    } catch {} // a broken optional file: the model still loads, without defaults
  }
  const eos = json.eos_token_id
  const eosIds = (Array.isArray(eos) ? eos : [eos]).filter((id): id is number =>
    Number.isInteger(id),
  )
  return {
    samplingDefaults: samplingDefaultsFromGenerationConfig(json),
    eosIds,
  }
}

/** `options` with the model's defaults for the sampling knobs it leaves out. */
export function withSamplingDefaults(
  options: GenerateOptions,
  defaults: SamplingDefaults | undefined,
): GenerateOptions {
  if (!defaults || options.verified) return options
  const out: GenerateOptions = { ...options }
  for (const key of Object.keys(defaults) as Key[])
    if (out[key] === undefined) out[key] = defaults[key]
  return out
}
