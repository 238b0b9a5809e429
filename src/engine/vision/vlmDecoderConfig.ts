// The language-model half of a VLM checkpoint: its HF `text_config` (with
// LlamaConfig's defaults, which LLaVA configs rely on) as a native decoder
// config, and where its weights live in the file. Transformers and MLX
// converters nest them differently:
//   SmolVLM / Idefics3   model.text_model.*        + lm_head
//   LLaVA (older HF)     language_model.model.*    + language_model.lm_head
//   LLaVA (newer HF)     model.language_model.*    + lm_head
//   mlx-vlm conversions  language_model.model.*    + language_model.lm_head
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  readSync,
} from 'node:fs'
import { dirname, join } from 'node:path'
import { decoderConfigFromHf } from '../decoderConfig.ts'
import { ModelLoadError } from '../errors.ts'
import type { NativeDecoderConfig } from '../native.ts'

type Json = Record<string, unknown>

// transformers' LlamaConfig defaults (fields real LLaVA text_configs omit).
const LLAMA_DEFAULTS: Json = {
  model_type: 'llama',
  hidden_size: 4096,
  intermediate_size: 11008,
  num_hidden_layers: 32,
  num_attention_heads: 32,
  max_position_embeddings: 2048,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  vocab_size: 32000,
}

const PREFIXES: [string, string][] = [
  ['model.text_model.', 'lm_head'],
  ['language_model.model.', 'language_model.lm_head'],
  ['model.language_model.', 'lm_head'],
  ['text_model.', 'lm_head'],
  ['model.', 'lm_head'],
]

/** Tensor names of safetensors files, from their headers (no data is read). */
export function readTensorNames(files: string[]): Set<string> {
  const names = new Set<string>()
  for (const file of files) {
    let fd: number | undefined
    try {
      fd = openSync(file, 'r')
      const len = Buffer.alloc(8)
      readSync(fd, len, 0, 8, 0)
      const size = Number(len.readBigUInt64LE())
      if (size <= 0 || size > 100 * 1024 * 1024)
        throw new Error('bad header length')
      const header = Buffer.alloc(size)
      readSync(fd, header, 0, size, 8)
      for (const k of Object.keys(JSON.parse(header.toString('utf8'))))
        if (k !== '__metadata__') names.add(k)
    } catch (cause) {
      throw new ModelLoadError(dirname(file), {
        details: `cannot read the safetensors header of ${file}`,
        cause,
      })
    } finally {
      if (fd !== undefined) closeSync(fd)
    }
  }
  return names
}

export function vlmDecoderConfig(
  dir: string,
  config: Json,
  tensorNames: Set<string>,
): NativeDecoderConfig {
  const text = (config.text_config ?? {}) as Json
  const merged: Json = {
    ...(text.model_type === undefined || text.model_type === 'llama'
      ? LLAMA_DEFAULTS
      : {}),
    ...text,
  }
  // Fields a VLM may state only at its top level (MLX quantization, eos).
  for (const k of [
    'quantization',
    'eos_token_id',
    'bos_token_id',
    'torch_dtype',
  ])
    if (merged[k] === undefined && config[k] !== undefined)
      merged[k] = config[k]
  const decoder = decoderConfigFromHf(merged)
  const found = PREFIXES.find(([p]) =>
    tensorNames.has(`${p}embed_tokens.weight`),
  )
  if (!found)
    throw new ModelLoadError(dir, {
      details: `no language-model embedding among the tensors (looked for ${PREFIXES.map(([p]) => `${p}embed_tokens.weight`).join(', ')})`,
    })
  const [weightPrefix, lmHead] = found
  decoder.weightPrefix = weightPrefix
  decoder.lmHeadName = lmHead
  const generation = join(dir, 'generation_config.json')
  if (existsSync(generation)) {
    try {
      const eos = JSON.parse(readFileSync(generation, 'utf8')).eos_token_id
      const ids = Array.isArray(eos)
        ? eos
        : typeof eos === 'number'
          ? [eos]
          : []
      decoder.eosIds = [...new Set([...decoder.eosIds, ...ids.map(Number)])]
    } catch {} // optional file: a broken one only loses extra stop ids
  }
  return decoder
}
