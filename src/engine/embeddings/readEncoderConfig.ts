// Reads a BERT-family sentence-embedding folder: config.json for the
// encoder, and sentence-transformers' modules.json / 1_Pooling/config.json /
// sentence_bert_config.json for pooling, normalization and max length.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ModelLoadError, UnsupportedModelError } from '../errors.ts'
import type { NativeBertConfig, Pooling } from './nativeEncoder.ts'

export type EncoderConfig = {
  architecture: string
  native: NativeBertConfig
  vocabSize: number
  maxPositions: number
  /** Inputs longer than this (in tokens, specials included) are truncated. */
  maxSeqLength: number
  pooling: Pooling
  normalize: boolean
}

const BERT_TYPES = new Set(['bert', 'roberta', 'xlm-roberta', 'distilbert'])

function readJson(
  dir: string,
  file: string,
): Record<string, unknown> | undefined {
  const path = join(dir, file)
  if (!existsSync(path)) return undefined
  try {
    return JSON.parse(readFileSync(path, 'utf8'))
  } catch (cause) {
    throw new ModelLoadError(dir, { details: `cannot parse ${file}`, cause })
  }
}

export function readEncoderConfig(dir: string): EncoderConfig {
  const config = readJson(dir, 'config.json')
  if (!config) throw new ModelLoadError(dir, { details: 'missing config.json' })
  const type = String(config.model_type ?? '')
  if (type !== 'bert')
    throw new UnsupportedModelError(
      BERT_TYPES.has(type)
        ? `Encoder type "${type}" is not supported yet (bert is).`
        : `"${type}" is not a BERT-family encoder.`,
    )
  const num = (k: string, fallback?: number) => {
    const v = config[k]
    if (typeof v === 'number') return v
    if (fallback !== undefined) return fallback
    throw new ModelLoadError(dir, { details: `config.json has no ${k}` })
  }
  const maxPositions = num('max_position_embeddings', 512)
  const st = readJson(dir, 'sentence_bert_config.json')
  const maxSeqLength = Math.min(
    typeof st?.max_seq_length === 'number' ? st.max_seq_length : maxPositions,
    maxPositions,
  )
  const modules = (readJson(dir, 'modules.json') ?? []) as unknown as {
    type?: string
    path?: string
  }[]
  const poolingDir = modules.find((m) => m.type?.endsWith('.Pooling'))?.path
  const pool = poolingDir
    ? readJson(dir, join(poolingDir, 'config.json'))
    : undefined
  return {
    architecture: type,
    native: {
      hiddenSize: num('hidden_size'),
      numLayers: num('num_hidden_layers'),
      numHeads: num('num_attention_heads'),
      intermediateSize: num('intermediate_size'),
      layerNormEps: num('layer_norm_eps', 1e-12),
      hiddenAct: String(config.hidden_act ?? 'gelu'),
    },
    vocabSize: num('vocab_size'),
    maxPositions,
    maxSeqLength,
    pooling: poolingMode(pool),
    // Without sentence-transformers metadata, mean + normalize is the common default.
    normalize:
      modules.length === 0 ||
      modules.some((m) => m.type?.endsWith('.Normalize')),
  }
}

function poolingMode(pool: Record<string, unknown> | undefined): Pooling {
  if (!pool) return 'mean'
  if (typeof pool.pooling_mode === 'string') {
    const m = pool.pooling_mode
    if (m === 'mean' || m === 'cls' || m === 'max') return m
    if (m === 'mean_sqrt_len_tokens') return 'mean_sqrt_len'
  }
  if (pool.pooling_mode_cls_token) return 'cls'
  if (pool.pooling_mode_max_tokens) return 'max'
  if (pool.pooling_mode_mean_sqrt_len_tokens) return 'mean_sqrt_len'
  if (pool.pooling_mode_mean_tokens !== false) return 'mean'
  throw new UnsupportedModelError(
    'Unsupported pooling configuration (mean, cls, max, mean_sqrt_len are).',
  )
}
