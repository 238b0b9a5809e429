// Describes one weights location on disk (a GGUF file or a safetensors
// directory with config.json) for the catalogue, caching by path + mtime so
// repeated listings do not re-read headers.

import { readdir, readFile, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { ggufShards } from '../engine/ggufShards.ts'
import type { ModelType } from '../engine/types.ts'
import { capabilitiesOf, type ModelCapabilities } from './capabilities.ts'
import { quantizationFromName } from './describeName.ts'
import { readChatTemplate } from './readChatTemplate.ts'
import { readGgufMetadata } from './readGgufMetadata.ts'
import type { ModelFormat } from './types.ts'

export type WeightsDescription = {
  format: ModelFormat
  type: ModelType
  architecture: string | null
  quantization: string | null
  sizeBytes: number
  maxContextLength: number | null
  /** From the chat template (tool use, reasoning) and the model type. */
  capabilities: ModelCapabilities
}

const memo = new Map<string, { mtimeMs: number; value: WeightsDescription }>()

export async function describeWeights(
  path: string,
): Promise<WeightsDescription | null> {
  const info = await stat(path).catch(() => null)
  if (!info) return null
  const cached = memo.get(path)
  if (cached && cached.mtimeMs === info.mtimeMs) return cached.value
  const value = info.isDirectory()
    ? await describeSafetensorsDir(path)
    : path.toLowerCase().endsWith('.gguf')
      ? await describeGguf(path, info.size)
      : null
  if (value) memo.set(path, { mtimeMs: info.mtimeMs, value })
  return value
}

async function describeGguf(path: string, size: number) {
  const meta = await readGgufMetadata(path).catch(() => null)
  const arch = meta?.architecture ?? null
  const embedding =
    /^(bert|nomic-bert|jina-bert-v2|t5encoder)$/.test(arch ?? '') ||
    /embed/i.test(basename(path))
  const type: ModelType = embedding ? 'embeddings' : 'llm'
  return {
    format: 'gguf',
    type,
    architecture: arch,
    quantization: quantizationFromName(basename(path)),
    sizeBytes: await shardsSize(path, size),
    maxContextLength: meta?.contextLength ?? null,
    capabilities: capabilitiesOf(await readChatTemplate(path, 'gguf'), type),
  } satisfies WeightsDescription
}

/** A sharded GGUF's size is the sum of its parts. */
async function shardsSize(path: string, size: number): Promise<number> {
  const shards = ggufShards(path)
  if (shards.length <= 1) return size
  let total = 0
  for (const f of shards) total += (await stat(f)).size
  return total
}

const EMBEDDING_TYPES =
  /^(bert|roberta|xlm-roberta|nomic_bert|mpnet|distilbert|e5|gte)$/

async function describeSafetensorsDir(dir: string) {
  const files = await readdir(dir).catch(() => [] as string[])
  if (!files.includes('config.json')) return null
  if (!files.some((f) => f.endsWith('.safetensors'))) return null
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'))
  const architectures: string[] = config.architectures ?? []
  const causal = architectures.some((a) =>
    /For(CausalLM|ConditionalGeneration)$/.test(a),
  )
  const sentenceTransformers =
    files.includes('modules.json') ||
    files.includes('config_sentence_transformers.json')
  const type: ModelType = config.vision_config
    ? 'vlm'
    : !causal &&
        (sentenceTransformers || EMBEDDING_TYPES.test(config.model_type ?? ''))
      ? 'embeddings'
      : 'llm'
  let sizeBytes = 0
  for (const f of files.filter((f) => f.endsWith('.safetensors'))) {
    sizeBytes += (await stat(join(dir, f))).size
  }
  const bits = config.quantization?.bits ?? config.quantization_config?.bits
  const dtype: string | undefined = config.torch_dtype ?? config.dtype
  const quantization = bits
    ? `${bits}bit`
    : dtype
      ? ({ float32: 'F32', float16: 'F16', bfloat16: 'BF16' }[dtype] ?? dtype)
      : null
  return {
    format: 'safetensors',
    type,
    architecture: config.model_type ?? architectures[0] ?? null,
    quantization,
    sizeBytes,
    maxContextLength:
      config.max_position_embeddings ?? config.n_positions ?? null,
    capabilities: capabilitiesOf(
      await readChatTemplate(dir, 'safetensors'),
      type,
    ),
  } satisfies WeightsDescription
}
