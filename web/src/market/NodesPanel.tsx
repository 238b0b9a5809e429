// Nodes ranked by the indexer's reputation (latest view) with a sparkline
// of each node's score after every settled task, and payouts per account.
import { useEffect, useState } from 'preact/hooks'
import { ErrorBanner } from '../ui/ErrorBanner.tsx'
import { formatPocket, shortHex } from '../ui/format.ts'
import ui from '../ui/ui.module.css'
import { usePoll } from '../ui/usePoll.ts'
import { marketApi } from './marketApi.ts'
import { reputationHistory } from './reputationHistory.ts'
import { Sparkline } from './Sparkline.tsx'
import type { IndexedNode, MarketConfig } from './types.ts'

function NodeRow(props: {
  config: MarketConfig
  node: IndexedNode
  rank: number
}) {
  const n = props.node
  const [history, setHistory] = useState<number[]>([])
  useEffect(() => {
    marketApi(props.config)
      .node(n.address)
      .then((r) => setHistory(reputationHistory(r.recentTasks)))
      .catch(() => setHistory([]))
  }, [n.address, n.completed, n.timedOut, n.slashedCount])
  const r = n.reputation
  return (
    <tr>
      <td>{props.rank}</td>
      <td class="mono" title={n.address}>
        {shortHex(n.address)}
      </td>
      <td>{r ? r.score.toFixed(3) : '—'}</td>
      <td>
        <Sparkline
          values={history}
          label={`Reputation of ${shortHex(n.address)} over its last ${history.length} settled tasks`}
        />
      </td>
      <td>
        {r?.successRate != null ? `${Math.round(r.successRate * 100)}%` : '—'}
      </td>
      <td>
        {n.completed} / {n.timedOut} / {n.slashedCount}
      </td>
      <td>{formatPocket(n.staked)}</td>
      <td>{formatPocket(n.earned)}</td>
    </tr>
  )
}

export function NodesPanel(props: { config: MarketConfig }) {
  const api = marketApi(props.config)
  const nodes = usePoll(api.nodes, 4000)
  const payouts = usePoll(api.payouts, 4000)
  return (
    <>
      <section class={ui.card} aria-label="Nodes by reputation">
        <h2 class={ui.cardTitle}>Nodes by reputation</h2>
        <ErrorBanner error={nodes.error} />
        <div class={ui.tableWrap}>
          <table>
            <thead>
              <tr>
                <th>#</th>
                <th>Node</th>
                <th>Score</th>
                <th>History</th>
                <th>Success</th>
                <th>Done / late / slashed</th>
                <th>Stake</th>
                <th>Earned</th>
              </tr>
            </thead>
            <tbody>
              {(nodes.data ?? []).map((n, i) => (
                <NodeRow
                  key={n.address}
                  config={props.config}
                  node={n}
                  rank={i + 1}
                />
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section class={ui.card} aria-label="Payouts">
        <h2 class={ui.cardTitle}>Payouts</h2>
        <ErrorBanner error={payouts.error} />
        <div class={ui.tableWrap}>
          <table>
            <thead>
              <tr>
                <th>Account</th>
                <th>Credited</th>
                <th>Withdrawn</th>
                <th>By kind</th>
              </tr>
            </thead>
            <tbody>
              {(payouts.data ?? []).map((p) => (
                <tr key={p.account}>
                  <td class="mono" title={p.account}>
                    {shortHex(p.account)}
                  </td>
                  <td>{formatPocket(p.credited)}</td>
                  <td>{formatPocket(p.withdrawn)}</td>
                  <td>
                    {Object.entries(p.kinds)
                      .map(
                        ([k, v]) =>
                          `${k} ${formatPocket(v.amount)} (${v.count})`,
                      )
                      .join(', ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  )
}
