// A node's reputation over time for the sparkline: the indexer's score
// (src/scheduler/reputation.ts, the function the indexer itself runs)
// recomputed after each of the node's settled tasks, oldest first.
import {
  type Outcome,
  reputationOf,
} from '../../../src/scheduler/reputation.ts'
import type { IndexedTask } from './types.ts'

type Settled = Pick<IndexedTask, 'state' | 'price'> & {
  settledAt?: string | null
  assignedAt?: string | null
  committedAt?: string | null
  execWindow?: number
}

const KIND: Record<string, Outcome['kind']> = {
  Finalized: 'completed',
  TimedOut: 'timed_out',
  Slashed: 'slashed',
}

export function reputationHistory(tasks: Settled[]): number[] {
  const settled = tasks
    .filter((t) => KIND[t.state] && t.settledAt != null)
    .sort((a, b) => Number(BigInt(a.settledAt ?? 0) - BigInt(b.settledAt ?? 0)))
  const outcomes: Outcome[] = settled.map((t) => ({
    kind: KIND[t.state] as Outcome['kind'],
    value: BigInt(t.price ?? 0),
    at: BigInt(t.settledAt ?? 0),
    latency:
      t.committedAt != null && t.assignedAt != null && t.execWindow
        ? Number(BigInt(t.committedAt) - BigInt(t.assignedAt)) / t.execWindow
        : null,
  }))
  return outcomes.map(
    (o, i) => reputationOf(outcomes.slice(0, i + 1), o.at).score,
  )
}
