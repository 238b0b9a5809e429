// One rank of a sharded model: a child process the coordinator
// (shardRun.ts) forks with MLX_RANK and MLX_HOSTFILE set. It loads its
// layers, joins the ring when told, runs requests, and beats a heartbeat
// over the IPC channel. It exits when the channel closes (a coordinator that
// died must not leave ranks behind).
import type { NativeModel } from '../engine/native.ts'
import { type ShardGenerateRequest, shardBinding } from './shardNative.ts'

export type ToRank =
  | {
      type: 'load'
      path: string
      layerStart: number
      layerEnd: number
      contextLength?: number
      prefillChunkSize?: number
      heartbeatMs: number
    }
  | { type: 'connect' }
  | { type: 'generate'; request: WireRequest }
  | { type: 'cancel' }

/** A request as it crosses the IPC channel (typed arrays as plain arrays). */
export type WireRequest = Omit<
  ShardGenerateRequest,
  'tokens' | 'resumeTokens'
> & { tokens: number[]; resumeTokens: number[] }

export type FromRank =
  | { type: 'beat' }
  | { type: 'loaded'; numLayers: number; nbytes: number }
  | { type: 'connected'; rank: number; size: number }
  | { type: 'token'; token: number; logprob: number }
  | { type: 'done'; stats: Record<string, unknown> }
  | { type: 'error'; code: string; message: string }

const send = (m: FromRank) => process.send?.(m)
let model: NativeModel | undefined
let requestId = -1

function fail(e: unknown) {
  const err = e as { code?: string; message?: string }
  send({
    type: 'error',
    code: err?.code ?? 'E_ENGINE',
    message: err?.message ?? String(e),
  })
}

async function handle(m: ToRank) {
  const binding = shardBinding()
  if (m.type === 'load') {
    setInterval(() => send({ type: 'beat' }), m.heartbeatMs).unref()
    model = await binding.loadModel({
      path: m.path,
      format: 'gguf',
      contextLength: m.contextLength,
      prefillChunkSize: m.prefillChunkSize,
      shard: { layerStart: m.layerStart, layerEnd: m.layerEnd },
    })
    send({
      type: 'loaded',
      numLayers: model.info.numLayers,
      nbytes: model.info.nbytes,
    })
  } else if (m.type === 'connect') {
    const g = await binding.shardConnect()
    send({ type: 'connected', ...g })
  } else if (m.type === 'generate') {
    if (!model)
      throw Object.assign(new Error('no model loaded'), { code: 'E_DISPOSED' })
    const r = m.request
    requestId = binding.shardGenerate(
      model,
      {
        ...r,
        tokens: Int32Array.from(r.tokens),
        resumeTokens: Int32Array.from(r.resumeTokens),
      },
      (e) => {
        if (e.type === 'token')
          send({ type: 'token', token: e.token, logprob: e.logprob })
        else if (e.type === 'done')
          send({ type: 'done', stats: { ...e.stats, commitments: undefined } })
        else if (e.type === 'error') fail(e.error)
      },
    )
  } else if (m.type === 'cancel') {
    if (model && requestId >= 0) model.cancel(requestId)
  }
}

process.on('message', (m: ToRank) => handle(m).catch(fail))
// SIGKILL, not exit(): exit() would join the engine thread, which may be
// blocked in a ring recv for good.
process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'))
