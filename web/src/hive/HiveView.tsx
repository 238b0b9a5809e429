// The Hive view: the user's devices from GET /v1/hive/peers with battery,
// thermal state, load, score and contributions. A server without a hive
// answers 404, which is shown as "no hive", not as an error.
import { ApiError } from '../api/ApiError.ts'
import { apiJson } from '../api/apiFetch.ts'
import { ErrorBanner } from '../ui/ErrorBanner.tsx'
import ui from '../ui/ui.module.css'
import { usePoll } from '../ui/usePoll.ts'
import { type HivePeer, normalizePeers } from './normalizePeer.ts'

async function loadPeers(): Promise<HivePeer[] | 'no-hive'> {
  try {
    return normalizePeers(await apiJson<unknown>('/v1/hive/peers'))
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return 'no-hive'
    throw e
  }
}

function Battery(props: { b: HivePeer['battery'] }) {
  if (!props.b || props.b.level === null)
    return <span class={ui.muted}>mains / unknown</span>
  return (
    <span>
      <meter
        min={0}
        max={100}
        low={20}
        high={60}
        optimum={100}
        value={props.b.level}
        aria-label="Battery level"
      />{' '}
      {Math.round(props.b.level)}%{props.b.charging ? ' ⚡ charging' : ''}
    </span>
  )
}

export function HiveView() {
  const peers = usePoll(loadPeers, 3000)
  const list = peers.data === 'no-hive' ? null : peers.data
  return (
    <section class={ui.card} aria-label="Hive devices">
      <h2 class={ui.cardTitle}>Hive devices</h2>
      <ErrorBanner error={peers.error} />
      {peers.data === 'no-hive' && (
        <div class={ui.notice} role="status">
          This server is not part of a hive (<code>GET /v1/hive/peers</code>{' '}
          answered 404). Start members with{' '}
          <code>pocket serve --hive &lt;code&gt;</code> to pool your devices.
        </div>
      )}
      {list && list.length === 0 && (
        <p class={ui.muted}>No other members found yet.</p>
      )}
      {list && list.length > 0 && (
        <div class={ui.grid}>
          {list.map((p) => (
            <article key={p.id} class={ui.card} aria-label={`Device ${p.name}`}>
              <h3 class={ui.cardTitle}>{p.name}</h3>
              <div class={`${ui.muted} mono`}>{p.address ?? p.id}</div>
              <dl>
                <dt>Battery</dt>
                <dd>
                  <Battery b={p.battery} />
                </dd>
                <dt>Thermal</dt>
                <dd>{p.thermal ?? '—'}</dd>
                <dt>Load</dt>
                <dd>{p.load ?? '—'}</dd>
                <dt>Score</dt>
                <dd>{p.score?.toFixed(3) ?? '—'}</dd>
                <dt>Contributions</dt>
                <dd>{p.contributions ?? '—'}</dd>
                <dt>Models</dt>
                <dd>{p.models.length ? p.models.join(', ') : '—'}</dd>
              </dl>
            </article>
          ))}
        </div>
      )}
    </section>
  )
}
