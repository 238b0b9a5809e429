// The report `pocket start` prints: one compact block per task (prompt,
// answer, receipt and its verification, payment and refund), then the
// node's payout and the indexer's reputation view of it.
import { type Address, formatEther } from 'viem'
import type { ReputationView } from './fetchReputationView.ts'
import { short, type TaskOutcome } from './runDemoTasks.ts'

export type PrintReportParameters = {
  outcomes: TaskOutcome[]
  node: Address
  /** What finalizeTask paid the node over the run. */
  paid: bigint
  /** What the node pulled from the market over the run (other credits). */
  withdrawn: bigint
  /** What the market still owes the node. */
  owed: bigint
  /** The node's POCKET wallet balance at the end. */
  balance: bigint
  view?: ReputationView
  indexerUrl: string
  write?: (line: string) => void
}

export const pocket = (wei: bigint) => `${formatEther(wei)} POCKET`

/** True when the task passed every check and its node was paid. */
export const verifiedAndPaid = (o: TaskOutcome) =>
  o.verified && o.auditor === 'ok' && o.state === 'Finalized' && o.payment > 0n

export function printReport(p: PrintReportParameters): void {
  const write = p.write ?? ((line: string) => console.log(line))
  for (const o of p.outcomes) {
    write('')
    write(`── task ${o.n} ${'─'.repeat(50)}`)
    write(`prompt   ${o.prompt}  (temperature ${o.temperature})`)
    write(`answer   ${oneLine(o.answer ?? '(none)')}`)
    write(
      `receipt  ${o.receiptHash ?? '(none)'}  ` +
        (o.verified ? 'verified ✓' : `NOT verified ✗ ${o.reasons.join('; ')}`),
    )
    write(`auditor  ${o.auditor === 'ok' ? 'ok ✓' : `flagged: ${o.auditor}`}`)
    write(
      o.state === 'Finalized'
        ? `paid     ${pocket(o.payment)} to node ${short(o.node)}, ` +
            `refund ${pocket(o.refund)} to the requester`
        : `state    ${o.state} (not paid)`,
    )
  }
  const good = p.outcomes.filter(verifiedAndPaid).length
  write('')
  write(`── summary ${'─'.repeat(48)}`)
  write(`${good}/${p.outcomes.length} tasks verified and paid`)
  write(
    `node ${p.node}: paid ${pocket(p.paid)} at settlement, withdrew ` +
      `${pocket(p.withdrawn)} (still owed ` +
      `${pocket(p.owed)}), wallet ${pocket(p.balance)}`,
  )
  const v = p.view
  if (!v) {
    write(`indexer reputation view: unavailable (${p.indexerUrl})`)
    return
  }
  const r = v.reputation
  write(
    `indexer reputation view (${v.finality}, block ${v.headBlock}) ` +
      `from ${p.indexerUrl}/nodes/${p.node.toLowerCase()}`,
  )
  write(
    `  score ${r ? r.score.toFixed(3) : 'n/a'}, success rate ` +
      `${r?.successRate == null ? 'n/a' : `${(r.successRate * 100).toFixed(0)}%`}, ` +
      `settled ${r?.tasks ?? 0}; counters: completed ${v.counters.completed}, ` +
      `timed out ${v.counters.timedOut}, slashed ${v.counters.slashed}`,
  )
  write(
    `  earned ${pocket(v.earned)}, stake ${pocket(v.stake)}; payouts ` +
      `credited ${pocket(v.credited)}, withdrawn ${pocket(v.withdrawn)}`,
  )
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}
