// The addon's pipeline-sharding surface (native/src/shard_wrap.cpp,
// native/src/shard.h), declared here so the engine's own declaration stays
// as it is.
import {
  type NativeEvent,
  type NativeGenerateRequest,
  type NativeLoadOptions,
  type NativeModel,
  type NativeModelInfo,
  native,
} from '../engine/native.ts'

export type ShardLoadOptions = NativeLoadOptions & {
  /** Load only layers [layerStart, layerEnd). */
  shard?: { layerStart: number; layerEnd: number }
}

export type ShardModelInfo = NativeModelInfo & {
  shard?: {
    layerStart: number
    layerEnd: number
    embeddings: boolean
    head: boolean
  }
}

export type ShardGenerateRequest = Pick<
  NativeGenerateRequest,
  | 'tokens'
  | 'temperature'
  | 'topK'
  | 'topP'
  | 'minP'
  | 'repetitionPenalty'
  | 'repetitionContextSize'
  | 'presencePenalty'
  | 'frequencyPenalty'
  | 'logitBias'
  | 'seed'
  | 'maxTokens'
  | 'stopTokenIds'
  | 'topLogprobs'
> & {
  /** Completion tokens emitted before a restart (prefilled after the prompt). */
  resumeTokens?: Int32Array
}

export type ShardBinding = {
  loadModel(options: ShardLoadOptions): Promise<NativeModel>
  /** Joins the ring of MLX_RANK + MLX_HOSTFILE (a group of one without them). */
  shardConnect(): Promise<{ rank: number; size: number }>
  /** Runs one request on this rank; returns its id for model.cancel(). */
  shardGenerate(
    model: NativeModel,
    request: ShardGenerateRequest,
    onEvent: (e: NativeEvent) => void,
  ): number
}

export function shardBinding(): ShardBinding {
  return native() as unknown as ShardBinding
}
