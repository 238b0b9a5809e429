// One task: prompt and sampling as posted, bids, the answer and its receipt
// with "verified ✓" computed here (verifyTask), payment; a Posted task with
// bids can be assigned to the indexer's best-ranked bid.
import { useEffect, useState } from 'preact/hooks'
import { assignTask } from '../../../src/chain/assignTask.ts'
import {
  decodeInput,
  decodeSampling,
} from '../../../src/receipts/taskEncoding.ts'
import { ErrorBanner } from '../ui/ErrorBanner.tsx'
import { formatPocket, shortHex } from '../ui/format.ts'
import ui from '../ui/ui.module.css'
import styles from './market.module.css'
import { marketApi } from './marketApi.ts'
import type {
  IndexedBid,
  IndexedReceipt,
  IndexedTask,
  MarketConfig,
} from './types.ts'
import { type TaskVerification, verifyTask } from './verifyTask.ts'
import { walletClients } from './walletClients.ts'

type Detail = {
  task: IndexedTask
  bids: IndexedBid[]
  receipt: IndexedReceipt | null
}

function promptOf(task: IndexedTask): string {
  try {
    const input = decodeInput(task.input)
    return 'prompt' in input
      ? input.prompt
      : input.messages.map((m) => `${m.role}: ${m.content}`).join('\n')
  } catch (e) {
    return `(undecodable input: ${(e as Error).message})`
  }
}

function samplingOf(task: IndexedTask): string {
  try {
    const s = decodeSampling(task.samplingParams)
    return `temperature ${s.temperature}, top-k ${s.topK}, top-p ${s.topP}, max ${s.maxTokens} tokens, seed ${task.seed}`
  } catch (e) {
    return (e as Error).message
  }
}

export function TaskDetail(props: {
  config: MarketConfig
  id: string
  onChanged: () => void
}) {
  const api = marketApi(props.config)
  const [detail, setDetail] = useState<Detail | null>(null)
  const [check, setCheck] = useState<TaskVerification | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)

  const load = async () => {
    try {
      const d = await api.task(props.id)
      setDetail(d)
      setError(null)
      setCheck(
        d.receipt
          ? await verifyTask({
              task: d.task,
              receipt: d.receipt,
              chainId: props.config.chainId,
              taskMarket: props.config.addresses.TaskMarket,
            })
          : null,
      )
    } catch (e) {
      setError(e)
    }
  }
  useEffect(() => {
    setDetail(null)
    setCheck(null)
    void load()
    const t = setInterval(() => void load(), 2000)
    return () => clearInterval(t)
  }, [props.id])

  const assignBest = async () => {
    setBusy(true)
    setError(null)
    try {
      const [best] = await api.rankedBids(props.id)
      if (!best) throw new Error('No bids yet.')
      const clients = await walletClients(props.config, 'dev')
      await assignTask(clients, {
        addresses: props.config.addresses,
        taskId: BigInt(props.id),
        bidIndex: best.bidIndex,
      })
      await load()
      props.onChanged()
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  if (!detail)
    return (
      <section class={ui.card} aria-label={`Task ${props.id}`}>
        <ErrorBanner error={error} />
        <p class={ui.muted}>Loading task {props.id}…</p>
      </section>
    )
  const t = detail.task
  return (
    <section
      class={ui.card}
      aria-label={`Task ${t.id}`}
      data-testid="task-detail"
    >
      <h2 class={ui.cardTitle}>
        Task {shortHex(t.id, 8)} <span class={ui.badge}>{t.state}</span>
      </h2>
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      <dl class={styles.kv}>
        <dt>Prompt</dt>
        <dd data-testid="task-prompt">{promptOf(t)}</dd>
        <dt>Sampling</dt>
        <dd>{samplingOf(t)}</dd>
        <dt>Requester</dt>
        <dd class="mono">{t.requester}</dd>
        <dt>Max price</dt>
        <dd>{formatPocket(t.maxPrice)}</dd>
        <dt>Bids</dt>
        <dd>
          {detail.bids.length === 0
            ? 'none yet'
            : detail.bids.map((b) => (
                <div key={b.bidIndex} class="mono">
                  #{b.bidIndex} {shortHex(b.node)} {formatPocket(b.price)} (
                  {b.status})
                </div>
              ))}
        </dd>
        {t.node && (
          <>
            <dt>Node</dt>
            <dd class="mono">{t.node}</dd>
          </>
        )}
        {t.payment && (
          <>
            <dt>Paid</dt>
            <dd>
              {formatPocket(t.payment)} to the node, refund{' '}
              {formatPocket(t.refund)}
            </dd>
          </>
        )}
      </dl>
      {t.state === 'Posted' && (
        <button
          type="button"
          class="primary"
          disabled={busy || detail.bids.length === 0}
          onClick={() => void assignBest()}
        >
          {busy ? 'Assigning…' : 'Assign the best bid'}
        </button>
      )}
      {detail.receipt && (
        <div>
          <h3 class={ui.cardTitle}>Answer</h3>
          <pre data-testid="task-answer">{check?.text ?? '…'}</pre>
          <h3 class={ui.cardTitle}>Receipt</h3>
          <dl class={styles.kv}>
            <dt>Hash</dt>
            <dd class="mono">{detail.receipt.receiptHash}</dd>
            <dt>Runs on</dt>
            <dd>
              {check?.receipt
                ? `${check.receipt.engine} · ${check.receipt.backend} · ${check.receipt.deviceClass} · ${check.receipt.activationDtype ?? 'float32'}`
                : '…'}
            </dd>
            <dt>Verified</dt>
            <dd data-testid="receipt-verdict">
              {check === null ? (
                'checking…'
              ) : check.verified ? (
                <span class={styles.verified}>verified ✓</span>
              ) : (
                <span class={styles.unverified}>NOT verified ✗</span>
              )}
            </dd>
          </dl>
          {check && (
            <ul class={styles.checks} aria-label="Verification checks">
              {check.checks.map((c) => (
                <li key={c.name}>
                  {c.ok ? '✓' : '✗'} {c.name}:{' '}
                  <span class="mono">{c.detail}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  )
}
