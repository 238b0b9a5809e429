// One streaming /v1/chat/completions request, parsed the way a client
// parses SSE, with the arrival time of every content chunk. Optionally
// aborts (disconnects) after a given number of content chunks.
export type StreamChatParameters = {
  url: string
  body: Record<string, unknown>
  /** Disconnect after this many content chunks (the load test's clients). */
  abortAfterChunks?: number
  /** Called after every content chunk with the count so far. */
  onChunk?: (count: number) => void
}

export type StreamChatResult = {
  status: number
  startedAt: number
  /** performance.now() of every chunk that carried content. */
  chunkTimes: number[]
  completionTokens: number | null
  promptTokens: number | null
  finishReason: string | null
  /** The client disconnected before the stream ended. */
  aborted: boolean
  /** An HTTP error status, an error frame or a broken connection. */
  error: string | null
}

export async function streamChat(
  p: StreamChatParameters,
): Promise<StreamChatResult> {
  const controller = new AbortController()
  const result: StreamChatResult = {
    status: 0,
    startedAt: performance.now(),
    chunkTimes: [],
    completionTokens: null,
    promptTokens: null,
    finishReason: null,
    aborted: false,
    error: null,
  }
  try {
    const res = await fetch(`${p.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        ...p.body,
        stream: true,
        stream_options: { include_usage: true },
      }),
      signal: controller.signal,
    })
    result.status = res.status
    if (!res.ok || !res.body) {
      result.error = `HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`
      return result
    }
    const decoder = new TextDecoder()
    let buffer = ''
    for await (const bytes of res.body) {
      buffer += decoder.decode(bytes as Uint8Array, { stream: true })
      let end = buffer.indexOf('\n\n')
      while (end >= 0) {
        const frame = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        end = buffer.indexOf('\n\n')
        if (onFrame(frame, result)) {
          p.onChunk?.(result.chunkTimes.length)
          const n = p.abortAfterChunks
          if (n !== undefined && result.chunkTimes.length >= n) {
            result.aborted = true
            controller.abort()
            return result
          }
        }
      }
    }
  } catch (error) {
    if (!result.aborted) result.error = String(error)
  }
  return result
}

/** Parses one SSE frame; true when it carried content. */
function onFrame(frame: string, r: StreamChatResult): boolean {
  const line = frame.split('\n').find((l) => l.startsWith('data: '))
  if (!line) return false
  const data = line.slice(6)
  if (data === '[DONE]') return false
  const json = JSON.parse(data) as {
    error?: { message?: string }
    choices?: { delta?: { content?: string }; finish_reason?: string }[]
    usage?: { completion_tokens: number; prompt_tokens: number } | null
  }
  if (json.error) {
    r.error = json.error.message ?? 'error frame'
    return false
  }
  if (json.usage) {
    r.completionTokens = json.usage.completion_tokens
    r.promptTokens = json.usage.prompt_tokens
  }
  const choice = json.choices?.[0]
  if (choice?.finish_reason) r.finishReason = choice.finish_reason
  if (choice?.delta?.content) {
    r.chunkTimes.push(performance.now())
    return true
  }
  return false
}

/** Gaps between consecutive content chunks of one stream, ms. */
export function interTokenGaps(r: StreamChatResult): number[] {
  const gaps: number[] = []
  for (let i = 1; i < r.chunkTimes.length; i++)
    gaps.push((r.chunkTimes[i] as number) - (r.chunkTimes[i - 1] as number))
  return gaps
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const s = [...values].sort((a, b) => a - b)
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))
  return s[i] as number
}
