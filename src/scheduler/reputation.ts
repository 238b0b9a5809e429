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
}

export type Reputation = {
  /** Lower confidence bound on the weighted success rate, in [0, 1]; 0 with no history. */
  score: number
  /** Weighted success rate S / (S + F); null with no history. */
  successRate: number | null
  /** Weighted successes S and failures F (task-equivalents). */
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
} as const

/**
 * Reputation of one node.
 *
 *   w_i   = log2(1 + value_i / valueUnit) * 2^(-(now - at_i) / halfLife)
 *   S     = sum of w_i over completed tasks
 *   F     = sum of w_i over timed-out tasks + slashPenalty * w_i over slashed ones
 *   n     = S + F,  p = S / n
 *   score = (p + z^2/2n - z * sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)   (Wilson lower bound)
 *
 * The log value weight makes dust tasks nearly worthless for farming
 * reputation; the half-life lets a node recover from (and not coast on) old
 * history; the lower bound ranks an unproven node (small n) below a proven
 * one with the same rate. Cancelled tasks are not the node's doing and are
 * not counted. `now` is chain time (the latest indexed block), not wall time.
 */
export function reputationOf(
  outcomes: readonly Outcome[],
  now: bigint,
  options: ReputationOptions = {},
): Reputation {
  const { halfLife, z, slashPenalty, valueUnit } = {
    ...reputationDefaults,
    ...options,
  }
  let successes = 0
  let failures = 0
  let latencySum = 0
  let latencyWeight = 0
  for (const o of outcomes) {
    const age = Math.max(0, Number(now - o.at))
    const value = Number((o.value * 1_000_000n) / valueUnit) / 1_000_000
    const w = Math.log2(1 + value) * 2 ** (-age / halfLife)
    if (o.kind === 'completed') {
      successes += w
      if (o.latency !== undefined && o.latency !== null) {
        latencySum += w * Math.min(1, Math.max(0, o.latency))
        latencyWeight += w
      }
    } else {
      failures += o.kind === 'slashed' ? slashPenalty * w : w
    }
  }
  const n = successes + failures
  const latency = latencyWeight > 0 ? latencySum / latencyWeight : null
  if (n <= 0) {
    return {
      score: 0,
      successRate: null,
      successes,
      failures,
      tasks: outcomes.length,
      latency,
    }
  }
  const p = successes / n
  const z2 = z * z
  const bound =
    (p + z2 / (2 * n) - z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) /
    (1 + z2 / n)
  return {
    score: Math.min(1, Math.max(0, bound)),
    successRate: p,
    successes,
    failures,
    tasks: outcomes.length,
    latency,
  }
}
