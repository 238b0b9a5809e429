// A model's own sampling defaults: read from generation_config.json and GGUF
// `general.sampling.*` keys, out-of-range values dropped, applied only to the
// knobs a request leaves out, and never in verified mode.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  readGenerationConfig,
  samplingDefaultsFromGenerationConfig,
  samplingDefaultsFromGguf,
  withSamplingDefaults,
} from '../../../src/engine/samplingDefaults.ts'

describe('samplingDefaults', () => {
  it('reads generation_config.json fields', () => {
    expect(
      samplingDefaultsFromGenerationConfig({
        do_sample: true,
        temperature: 0.6,
        top_p: 0.95,
        top_k: 20,
        min_p: 0,
        repetition_penalty: 1.05,
        max_new_tokens: 100, // not a sampling knob
      }),
    ).toEqual({
      temperature: 0.6,
      topP: 0.95,
      topK: 20,
      minP: 0,
      repetitionPenalty: 1.05,
    })
  })

  it('do_sample=false is greedy whatever else it says', () => {
    expect(
      samplingDefaultsFromGenerationConfig({
        do_sample: false,
        temperature: 0.6,
        top_p: 0.9,
      }),
    ).toEqual({ temperature: 0 })
  })

  it('reads GGUF general.sampling.* keys', () => {
    expect(
      samplingDefaultsFromGguf({
        'general.sampling.temp': 0.7,
        'general.sampling.top_k': 40,
        'general.sampling.top_p': 0.8,
        'general.sampling.min_p': 0.05,
        'general.sampling.penalty_repeat': 1.1,
        'general.sampling.penalty_last_n': 64,
        'general.sampling.sequence': 'edkypmxt',
        'general.architecture': 'llama',
      }),
    ).toEqual({
      temperature: 0.7,
      topK: 40,
      topP: 0.8,
      minP: 0.05,
      repetitionPenalty: 1.1,
      repetitionContextSize: 64,
    })
  })

  it('drops values the engine would reject', () => {
    expect(
      samplingDefaultsFromGguf({
        'general.sampling.temp': -1,
        'general.sampling.top_k': 2.5,
        'general.sampling.top_p': 0,
        'general.sampling.min_p': 3,
        'general.sampling.penalty_repeat': 0,
        'general.sampling.penalty_last_n': -1, // llama.cpp: "the whole context"
      }),
    ).toEqual({})
    expect(
      samplingDefaultsFromGenerationConfig({ temperature: 'hot', top_p: null }),
    ).toEqual({})
  })

  it('fills only what the request leaves out, never in verified mode', () => {
    const defaults = { temperature: 0.6, topK: 20, topP: 0.95 }
    expect(
      withSamplingDefaults({ temperature: 1, maxTokens: 5 }, defaults),
    ).toEqual({
      temperature: 1,
      topK: 20,
      topP: 0.95,
      maxTokens: 5,
    })
    expect(withSamplingDefaults({ topK: 0 }, defaults).topK).toBe(0)
    const verified = { verified: true, seed: 1, temperature: 0.5 }
    expect(withSamplingDefaults(verified, defaults)).toEqual(verified)
    expect(withSamplingDefaults({ topP: 0.5 }, undefined)).toEqual({
      topP: 0.5,
    })
  })

  it('reads a folder: defaults and eos ids; no or broken file = none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gencfg-'))
    expect(readGenerationConfig(dir)).toEqual({
      samplingDefaults: {},
      eosIds: [],
    })
    writeFileSync(
      join(dir, 'generation_config.json'),
      JSON.stringify({ temperature: 0.6, eos_token_id: [128001, 128009] }),
    )
    expect(readGenerationConfig(dir)).toEqual({
      samplingDefaults: { temperature: 0.6 },
      eosIds: [128001, 128009],
    })
    writeFileSync(join(dir, 'generation_config.json'), '{oops')
    expect(readGenerationConfig(dir).samplingDefaults).toEqual({})
  })
})
