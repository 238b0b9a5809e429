// Sends one chat request (streamed) and reports the reply as it grows.
// Aborting `signal` stops the generation: the fetch is cancelled, the
// server sees the disconnect and cancels, and the partial reply stays.
import { ApiError } from '../api/ApiError.ts'
import { apiFetch } from '../api/apiFetch.ts'
import { readSse } from '../api/readSse.ts'
import {
  applyChunk,
  type ChatChunk,
  type ReplyState,
  startReply,
} from './accumulateReply.ts'

export type StreamChatParameters = {
  body: Record<string, unknown>
  signal: AbortSignal
  onUpdate: (state: ReplyState) => void
  now?: () => number
}

/** Resolves with the final state; `stopped` when the signal aborted it. */
export async function streamChat(
  p: StreamChatParameters,
): Promise<{ state: ReplyState; stopped: boolean }> {
  const now = p.now ?? (() => performance.now())
  let state = startReply(now())
  try {
    const res = await apiFetch('/v1/chat/completions', {
      method: 'POST',
      json: p.body,
      signal: p.signal,
    })
    if (!res.body) throw new ApiError('The server sent no stream.', res.status)
    for await (const ev of readSse(res.body)) {
      if (ev.data === '[DONE]') break
      const chunk = JSON.parse(ev.data) as ChatChunk
      if (chunk.error)
        throw new ApiError(chunk.error.message ?? 'stream error', 500)
      state = applyChunk(state, chunk, now())
      p.onUpdate(state)
    }
    return { state, stopped: false }
  } catch (error) {
    if (p.signal.aborted) return { state, stopped: true }
    throw Object.assign(error as Error, { partial: state })
  }
}
