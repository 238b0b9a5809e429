// Node reputation from settled tasks: a lower confidence bound on the node's
// success rate, each task weighted by its value and recency. Pure (no I/O);
// the indexer API and the scheduler both call it.

/** One settled task of a node, as the indexer stores it. */
export type Outcome = {
  kind: 'completed' | 'timed_out' | 'slashed'
  /** The assigned bid's price (wei). */
  value: bigint
  /** Unix seconds of the settling block. */
  at: bigint
  /** (commit time - assign time) / execWindow in [0, 1]; completed tasks only. */
  latency?: number | null
  /** Who posted the task; repeated requesters count less (anti-farming). */
  requester?: string
}

export type ReputationOptions = {
  /** Seconds after which an outcome counts half. Default 14 days. */
  halfLife?: number
  /** One-sided normal quantile of the bound. Default 1.645 (95%). */
  z?: number
  /** A slashed task counts as this many failures. Default 3. */
  slashPenalty?: number
  /** Value unit (wei) of the value weight. Default 1 POCKET (1e18). */
  valueUnit?: bigint
  /** Pseudo-counts added to S and F (a Beta(1, 1) prior). Default 1 each. */
  prior?: number
}

export type Reputation = {
  /** Lower confidence bound on the weighted success rate, in [0, 1]. */
  score: number
  /** Observed weighted success rate (no prior); null with no history. */
  successRate: number | null
  /** Weighted successes and failures observed (task-equivalents, no prior). */
  successes: number
  failures: number
  /** Settled tasks counted (unweighted). */
  tasks: number
  /** Weighted mean latency of completed tasks (fraction of execWindow); null if none. */
  latency: number | null
}

export const reputationDefaults = {
  halfLife: 14 * 24 * 3600,
  z: 1.645,
  slashPenalty: 3,
  valueUnit: 10n ** 18n,
  prior: 1,
} as const

/**
 * Reputation of one node.
 *
 *   w_i   = log2(1 + value_i / valueUnit) * 2^(-(now - at_i) / halfLife)
 *   S     = prior + sum of w_i / k_i over completed tasks, k_i = 1 for a
 *           requester's first completed task, 2 for its second, ...
 *   F     = prior + sum of w_i over timed-out tasks + slashPenalty * w_i over slashed ones
 *   n     = S + F,  p = S / n
 *   score = (p + z^2/2n - z * sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)   (Wilson lower bound)
 *
 * defaults: halfLife 14 days, z = 1.645 (one-sided 95%), slashPenalty 3,
 * valueUnit 1 POCKET, prior 1. A new node scores ~0.12; two completed
 * 8-POCKET tasks give ~0.60; two timeouts ~0.03.
 *
 * The log value weight makes dust tasks nearly worthless for farming
 * reputation, and the 1/k requester discount makes one (sybil) requester
 * feeding a node many tasks worth only a harmonic sum (~ln n) of them; the half-life lets a node recover from (and not coast on) old
 * history; the lower bound ranks an unproven node (small n) below a proven
 * one with the same rate, and the prior ranks a failing node below a new
 * one. Cancelled tasks are not the node's doing and are not counted. `now`
 * is chain time (the latest indexed block), not wall time.
 */
export function reputationOf(
  outcomes: readonly Outcome[],
  now: bigint,
  options: ReputationOptions = {},
): Reputation {
  const { halfLife, z, slashPenalty, valueUnit, prior } = {
    ...reputationDefaults,
    ...options,
  }
  let successes = 0
  let failures = 0
  let latencySum = 0
  let latencyWeight = 0
  const seen = new Map<string, number>() // completed tasks per requester so far
  const ordered = [...outcomes].sort((a, b) =>
    a.at < b.at ? -1 : a.at > b.at ? 1 : 0,
  )
  for (const o of ordered) {
    const age = Math.max(0, Number(now - o.at))
    const value = Number((o.value * 1_000_000n) / valueUnit) / 1_000_000
    const w = Math.log2(1 + value) * 2 ** (-age / halfLife)
    if (o.kind === 'completed') {
      const k = o.requester ? (seen.get(o.requester) ?? 0) + 1 : 1
      if (o.requester) seen.set(o.requester, k)
      successes += w / k
      if (o.latency !== undefined && o.latency !== null) {
        latencySum += w * Math.min(1, Math.max(0, o.latency))
        latencyWeight += w
      }
    } else {
      failures += o.kind === 'slashed' ? slashPenalty * w : w
    }
  }
  const observed = successes + failures
  const successRate = observed > 0 ? successes / observed : null
  const latency = latencyWeight > 0 ? latencySum / latencyWeight : null
  const n = observed + 2 * prior
  if (n <= 0) {
    return { score: 0, successRate, successes, failures, tasks: 0, latency }
  }
  const p = (successes + prior) / n
  const z2 = z * z
  const bound =
    (p + z2 / (2 * n) - z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) /
    (1 + z2 / n)
  return {
    score: Math.min(1, Math.max(0, bound)),
    successRate,
    successes,
    failures,
    tasks: outcomes.length,
    latency,
  }
}
