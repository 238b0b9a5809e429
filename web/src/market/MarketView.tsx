// The Market view (served by `pocket start`): tasks by state with each
// task's prompt, answer and receipt verified in the browser, nodes ranked
// by reputation, payouts, and a form to post a task.
import { useEffect, useState } from 'preact/hooks'
import { ErrorBanner } from '../ui/ErrorBanner.tsx'
import { formatPocket, shortHex } from '../ui/format.ts'
import ui from '../ui/ui.module.css'
import { usePoll } from '../ui/usePoll.ts'
import styles from './market.module.css'
import { loadMarketConfig, marketApi } from './marketApi.ts'
import { NodesPanel } from './NodesPanel.tsx'
import { PostTaskForm } from './PostTaskForm.tsx'
import { TaskDetail } from './TaskDetail.tsx'
import {
  type IndexedTask,
  type MarketConfig,
  TASK_STATES,
  type TaskState,
} from './types.ts'

const taskIdFromHash = () =>
  location.hash.match(/^#\/market\/(\d+)/)?.[1] ?? null

function Tasks(props: {
  config: MarketConfig
  selected: string | null
  tick: number
}) {
  const api = marketApi(props.config)
  const [state, setState] = useState<TaskState>('Finalized')
  const all = usePoll(async () => {
    const lists = await Promise.all(TASK_STATES.map((s) => api.tasks(s)))
    return Object.fromEntries(
      TASK_STATES.map((s, i) => [s, lists[i]]),
    ) as Record<TaskState, IndexedTask[]>
  }, 3000)
  useEffect(() => void all.refresh(), [props.tick])
  const tasks = all.data?.[state] ?? []
  return (
    <section class={ui.card} aria-label="Tasks">
      <h2 class={ui.cardTitle}>Tasks</h2>
      <ErrorBanner error={all.error} />
      <fieldset class={styles.tabs}>
        <legend class="visually-hidden">Task state</legend>
        {TASK_STATES.map((s) => (
          <button
            key={s}
            type="button"
            aria-pressed={s === state}
            onClick={() => setState(s)}
          >
            {s} ({all.data?.[s]?.length ?? 0})
          </button>
        ))}
      </fieldset>
      {tasks.length === 0 ? (
        <p class={ui.muted}>No {state.toLowerCase()} tasks.</p>
      ) : (
        <ul class={styles.taskList}>
          {tasks.map((t) => (
            <li key={t.id}>
              <button
                type="button"
                aria-current={t.id === props.selected ? 'true' : 'false'}
                onClick={() => {
                  location.hash = `#/market/${t.id}`
                }}
              >
                <span class="mono">{shortHex(t.id, 8)}</span>
                <span>
                  {t.price ? formatPocket(t.price) : formatPocket(t.maxPrice)}
                </span>
                <span class={ui.muted}>{t.bidCount} bid(s)</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

export function MarketView() {
  const [config, setConfig] = useState<MarketConfig | null | undefined>(
    undefined,
  )
  const [error, setError] = useState<unknown>(null)
  const [selected, setSelected] = useState(taskIdFromHash())
  const [tick, setTick] = useState(0)
  useEffect(() => {
    loadMarketConfig().then(setConfig, setError)
    const on = () => setSelected(taskIdFromHash())
    addEventListener('hashchange', on)
    return () => removeEventListener('hashchange', on)
  }, [])
  if (error) return <ErrorBanner error={error} />
  if (config === undefined) return <p class={ui.muted}>Loading…</p>
  if (config === null)
    return (
      <div class={ui.notice} role="status">
        No marketplace is connected to this page. Run <code>npm start</code> (
        <code>pocket start</code>): it brings up a local chain, the indexer and
        a node, and prints the URL of this view.
      </div>
    )
  return (
    <div>
      <p class={ui.muted}>
        Chain {config.chainId} · TaskMarket{' '}
        <span class="mono">{config.addresses.TaskMarket}</span> · model{' '}
        {config.model.name}
      </p>
      <div class={styles.layout}>
        <div>
          <Tasks config={config} selected={selected} tick={tick} />
          <PostTaskForm
            config={config}
            onPosted={(id) => {
              setTick((t) => t + 1)
              location.hash = `#/market/${id}`
            }}
          />
        </div>
        <div>
          {selected ? (
            <TaskDetail
              config={config}
              id={selected}
              onChanged={() => setTick((t) => t + 1)}
            />
          ) : (
            <div class={ui.notice}>
              Pick a task to see its prompt, answer and receipt.
            </div>
          )}
        </div>
      </div>
      <NodesPanel config={config} />
    </div>
  )
}
