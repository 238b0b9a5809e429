// The Models view: downloaded models (format, quantization, size, context),
// their loaded instances (backend, device, dtype, TTL), load and unload,
// download by hub id with live progress, and memory in use.
import { useState } from 'preact/hooks'
import { apiJson } from '../api/apiFetch.ts'
import { listModelsV1, type V1Model } from '../api/models.ts'
import { ErrorBanner } from '../ui/ErrorBanner.tsx'
import { formatBytes, formatSeconds } from '../ui/format.ts'
import { Stat } from '../ui/Stat.tsx'
import ui from '../ui/ui.module.css'
import { usePoll } from '../ui/usePoll.ts'
import { DownloadForm } from './DownloadForm.tsx'

type Stats = {
  memory?: { weightsBytes: number; budgetBytes: number; rssBytes: number }
}

export function ModelsView() {
  const models = usePoll(listModelsV1, 3000)
  const stats = usePoll(() => apiJson<Stats>('/api/v1/stats'), 3000)
  const [busy, setBusy] = useState<Record<string, 'loading' | 'unloading'>>({})
  const [error, setError] = useState<unknown>(null)

  const act = async (
    key: string,
    kind: 'loading' | 'unloading',
    run: () => Promise<unknown>,
  ) => {
    setError(null)
    setBusy((b) => ({ ...b, [key]: kind }))
    try {
      await run()
    } catch (e) {
      setError(e)
    } finally {
      setBusy(({ [key]: _, ...rest }) => rest)
      await models.refresh()
      await stats.refresh()
    }
  }
  const load = (m: V1Model) =>
    act(m.key, 'loading', () =>
      apiJson('/api/v1/models/load', {
        method: 'POST',
        json: { model: m.key },
      }),
    )
  const unload = (m: V1Model, id: string) =>
    act(m.key, 'unloading', () =>
      apiJson('/api/v1/models/unload', {
        method: 'POST',
        json: { instance_id: id },
      }),
    )
  const mem = stats.data?.memory
  return (
    <div>
      <section class={ui.card} aria-label="Memory">
        <h2 class={ui.cardTitle}>Memory</h2>
        <div class={ui.stats}>
          <Stat
            label="Weights resident"
            value={formatBytes(mem?.weightsBytes)}
          />
          <Stat label="Weights budget" value={formatBytes(mem?.budgetBytes)} />
          <Stat
            label="Server process (RSS)"
            value={formatBytes(mem?.rssBytes)}
          />
        </div>
        {mem && (
          <progress
            max={mem.budgetBytes}
            value={mem.weightsBytes}
            aria-label="Weights resident of the budget"
          />
        )}
      </section>
      <DownloadForm onDone={() => void models.refresh()} />
      <section class={ui.card} aria-label="Downloaded models">
        <h2 class={ui.cardTitle}>Downloaded models</h2>
        <ErrorBanner
          error={error ?? models.error}
          onDismiss={() => setError(null)}
        />
        <div class={ui.tableWrap}>
          <table>
            <thead>
              <tr>
                <th>Model</th>
                <th>Format</th>
                <th>Quant</th>
                <th>Size</th>
                <th>Context</th>
                <th>Loaded (backend · device · dtype · TTL)</th>
                <th>
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {(models.data ?? []).map((m) => (
                <tr key={m.key} data-model={m.key}>
                  <td>
                    <div>{m.display_name}</div>
                    <div class={`${ui.muted} mono`}>{m.key}</div>
                    <div class={ui.row}>
                      <span class={ui.badge}>{m.type}</span>
                      {m.capabilities?.vision && (
                        <span class={ui.badge}>vision</span>
                      )}
                      {m.capabilities?.trained_for_tool_use && (
                        <span class={ui.badge}>tools</span>
                      )}
                    </div>
                  </td>
                  <td>{m.format ?? '—'}</td>
                  <td>{m.quantization?.name ?? '—'}</td>
                  <td>{formatBytes(m.size_bytes)}</td>
                  <td>{m.max_context_length?.toLocaleString() ?? '—'}</td>
                  <td>
                    {m.loaded_instances.length === 0 && (
                      <span class={ui.muted}>not loaded</span>
                    )}
                    {m.loaded_instances.map((i) => (
                      <div key={i.id} class={ui.row} data-instance={i.id}>
                        <span class={`${ui.badge} ${ui.ok}`}>{i.status}</span>
                        <span>
                          {i.backend} · {i.device} · {i.dtype} · ctx{' '}
                          {i.config.context_length}
                          {' · '}
                          {i.ttl_remaining_seconds != null
                            ? `TTL ${formatSeconds(i.ttl_remaining_seconds)}`
                            : 'no TTL'}
                        </span>
                        <button
                          type="button"
                          disabled={!!busy[m.key]}
                          aria-label={`Unload ${i.id}`}
                          onClick={() => void unload(m, i.id)}
                        >
                          Unload
                        </button>
                      </div>
                    ))}
                    {busy[m.key] && (
                      <div role="status">
                        <progress aria-label={`${busy[m.key]} ${m.key}`} />
                        <span class={ui.muted}>{busy[m.key]}…</span>
                      </div>
                    )}
                  </td>
                  <td>
                    <button
                      type="button"
                      class="primary"
                      disabled={!!busy[m.key]}
                      aria-label={`Load ${m.key}`}
                      onClick={() => void load(m)}
                    >
                      Load
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {models.data?.length === 0 && (
          <p class={ui.muted}>
            No models yet: download one above, or `pocket get`.
          </p>
        )}
      </section>
    </div>
  )
}
