// The score a scheduler ranks bids by: reputation minus a price term minus a
// latency term. Pure; the indexer API shows it and pickBid() ranks with it.

export type ScoreWeights = {
  /** Weight of the relative price price / maxPrice. Default 0.5. */
  price?: number
  /** Weight of the node's mean latency (fraction of execWindow). Default 0.1. */
  latency?: number
}

export type ScoreBidParameters = {
  price: bigint
  maxPrice: bigint
  /** Reputation score in [0, 1] (see reputationOf). */
  reputation: number
  /** Mean latency as a fraction of the exec window; null when unknown. */
  latency?: number | null
}

export const scoreDefaults = { price: 0.5, latency: 0.1 } as const

/** Latency assumed for a node without completed tasks (middle of the window). */
export const unknownLatency = 0.5

/**
 * Bid score, higher is better:
 *
 *   score = reputation - wPrice * price / maxPrice - wLatency * latency
 *
 * with reputation the Wilson lower bound of src/scheduler/reputation.ts,
 * wPrice = 0.5, wLatency = 0.1, latency = 0.5 when unknown. At equal
 * reputation the cheaper bid wins; a bid at maxPrice loses 0.5, so a node
 * needs 0.05 more reputation to justify a price 10% of maxPrice higher.
 * Ties: lower price, then lower bid index (pickBid).
 */
export function scoreBid(
  p: ScoreBidParameters,
  weights: ScoreWeights = {},
): number {
  const w = { ...scoreDefaults, ...weights }
  const relativePrice =
    p.maxPrice > 0n
      ? Number((p.price * 1_000_000n) / p.maxPrice) / 1_000_000
      : 1
  const latency = p.latency ?? unknownLatency
  return p.reputation - w.price * relativePrice - w.latency * latency
}
