// The Server view: counters since start (requests, errors, generations,
// tokens/s, prefix-cache hits), loaded instances with their TTL, and the
// live request log.
import { apiJson } from '../api/apiFetch.ts'
import { listModelsV1 } from '../api/models.ts'
import { ErrorBanner } from '../ui/ErrorBanner.tsx'
import { formatSeconds } from '../ui/format.ts'
import { Stat } from '../ui/Stat.tsx'
import ui from '../ui/ui.module.css'
import { usePoll } from '../ui/usePoll.ts'
import { useLogStream } from './useLogStream.ts'

export type ServerStats = {
  activeGenerations: number
  startedGenerations: number
  completedGenerations: number
  cancelledGenerations: number
  failedGenerations: number
  tokens?: { prompt: number; cached: number; completion: number }
  decodeSeconds?: number
  requests?: { total: number; errors: number }
}

/** Average decode speed and prefix-cache hit rate from the counters. */
export function derive(s: ServerStats) {
  const t = s.tokens
  return {
    tokensPerSecond:
      t && s.decodeSeconds ? t.completion / s.decodeSeconds : null,
    cacheHitRate: t && t.prompt > 0 ? t.cached / t.prompt : null,
  }
}

const time = (ms: number) => new Date(ms).toLocaleTimeString()

export function ServerView() {
  const stats = usePoll(() => apiJson<ServerStats>('/api/v1/stats'), 2000)
  const models = usePoll(listModelsV1, 2000)
  const log = useLogStream()
  const s = stats.data
  const d = s ? derive(s) : null
  const instances = (models.data ?? []).flatMap((m) =>
    m.loaded_instances.map((i) => ({ ...i, key: m.key })),
  )
  return (
    <div>
      <section class={ui.card} aria-label="Server statistics">
        <h2 class={ui.cardTitle}>Since the server started</h2>
        <ErrorBanner error={stats.error} />
        <div class={ui.stats}>
          <Stat label="Requests" value={s?.requests?.total ?? '—'} />
          <Stat label="Errors (4xx/5xx)" value={s?.requests?.errors ?? '—'} />
          <Stat label="Generating now" value={s?.activeGenerations ?? '—'} />
          <Stat label="Generations" value={s?.startedGenerations ?? '—'} />
          <Stat label="Cancelled" value={s?.cancelledGenerations ?? '—'} />
          <Stat label="Failed" value={s?.failedGenerations ?? '—'} />
          <Stat label="Tokens generated" value={s?.tokens?.completion ?? '—'} />
          <Stat
            label="Decode tok/s (avg)"
            value={
              d?.tokensPerSecond != null ? d.tokensPerSecond.toFixed(1) : '—'
            }
          />
          <Stat
            label="Prefix-cache hits"
            value={
              d?.cacheHitRate != null
                ? `${(d.cacheHitRate * 100).toFixed(0)}% (${s?.tokens?.cached} tok)`
                : '—'
            }
          />
        </div>
      </section>
      <section class={ui.card} aria-label="Loaded instances">
        <h2 class={ui.cardTitle}>Loaded instances</h2>
        <ErrorBanner error={models.error} />
        {instances.length === 0 ? (
          <p class={ui.muted}>No model loaded.</p>
        ) : (
          <div class={ui.tableWrap}>
            <table>
              <thead>
                <tr>
                  <th>Instance</th>
                  <th>Status</th>
                  <th>Requests</th>
                  <th>Backend</th>
                  <th>JIT</th>
                  <th>TTL left</th>
                </tr>
              </thead>
              <tbody>
                {instances.map((i) => (
                  <tr key={i.id}>
                    <td class="mono">{i.id}</td>
                    <td>{i.status}</td>
                    <td>{i.active_requests}</td>
                    <td>
                      {i.backend} · {i.device}
                    </td>
                    <td>{i.jit ? 'yes' : 'no'}</td>
                    <td>
                      {i.ttl_remaining_seconds != null
                        ? `${formatSeconds(i.ttl_remaining_seconds)} of ${formatSeconds(i.ttl_seconds)}`
                        : 'none'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section class={ui.card} aria-label="Request log">
        <h2 class={ui.cardTitle}>
          Request log <span class={ui.badge}>{log.state}</span>
        </h2>
        <div class={ui.tableWrap}>
          <table>
            <thead>
              <tr>
                <th>Time</th>
                <th>Request</th>
                <th>Status</th>
                <th>ms</th>
                <th>Model</th>
                <th>Error</th>
              </tr>
            </thead>
            <tbody data-testid="log-rows">
              {log.records.map((r, n) => (
                <tr key={`${r.time}-${n}`}>
                  <td>{time(r.time)}</td>
                  <td class="mono">
                    {r.method} {r.path ?? r.msg}
                  </td>
                  <td>
                    <span
                      class={`${ui.badge} ${(r.status ?? 0) >= 400 ? ui.bad : ui.ok}`}
                    >
                      {r.status ?? '—'}
                      {r.aborted ? ' aborted' : ''}
                    </span>
                  </td>
                  <td>{r.ms ?? ''}</td>
                  <td class="mono">{r.model ?? ''}</td>
                  <td>{r.error ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {log.records.length === 0 && (
          <p class={ui.muted}>Waiting for requests…</p>
        )}
      </section>
    </div>
  )
}
