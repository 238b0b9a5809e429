// Follows GET /api/v1/logs/stream (SSE over fetch, so the API key goes in
// the Authorization header) and keeps the newest `max` records.
import { useEffect, useState } from 'preact/hooks'
import { messageOf } from '../api/ApiError.ts'
import { apiFetch } from '../api/apiFetch.ts'
import { readSse } from '../api/readSse.ts'

export type LogRecord = {
  time: number
  level: number
  method?: string
  path?: string
  status?: number
  ms?: number
  model?: string
  error?: string
  aborted?: boolean
  msg?: string
}

export function parseLogLine(data: string): LogRecord | null {
  try {
    const r = JSON.parse(data) as LogRecord
    return typeof r.time === 'number' ? r : null
  } catch {
    return null
  }
}

export function useLogStream(max = 200) {
  const [records, setRecords] = useState<LogRecord[]>([])
  const [state, setState] = useState<'connecting' | 'live' | string>(
    'connecting',
  )
  useEffect(() => {
    const controller = new AbortController()
    let retry: number | undefined
    const connect = async () => {
      try {
        const res = await apiFetch('/api/v1/logs/stream', {
          signal: controller.signal,
        })
        setState('live')
        for await (const ev of readSse(
          res.body as ReadableStream<Uint8Array>,
        )) {
          const r = parseLogLine(ev.data)
          if (r) setRecords((prev) => [r, ...prev].slice(0, max))
        }
        throw new Error('the log stream ended')
      } catch (e) {
        if (controller.signal.aborted) return
        setState(`disconnected: ${messageOf(e)} (retrying)`)
        retry = window.setTimeout(() => void connect(), 2000)
      }
    }
    void connect()
    return () => {
      controller.abort()
      clearTimeout(retry)
    }
  }, [max])
  return { records, state }
}
