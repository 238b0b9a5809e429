// Picks the bid a scheduler should assign: the highest score (score.ts) among
// the task's open bids, ties to the lower price, then the earlier bid.
import type { IndexedBid } from './createIndexerClient.ts'
import { type ScoreWeights, scoreBid } from './score.ts'

export type PickBidParameters = {
  bids: readonly IndexedBid[]
  maxPrice: bigint
  weights?: ScoreWeights
}

export type PickBidReturnType =
  | {
      bid: IndexedBid
      score: number
      ranked: { bid: IndexedBid; score: number }[]
    }
  | undefined

/** The best open bid by the documented score; undefined when there is none. */
export function pickBid({
  bids,
  maxPrice,
  weights,
}: PickBidParameters): PickBidReturnType {
  const ranked = bids
    .filter((b) => b.status === 'open')
    .map((bid) => ({
      bid,
      score: scoreBid(
        {
          price: bid.price,
          maxPrice,
          reputation: bid.reputation.score,
          latency: bid.reputation.latency,
        },
        weights,
      ),
    }))
    .sort(
      (a, b) =>
        b.score - a.score ||
        (a.bid.price < b.bid.price ? -1 : a.bid.price > b.bid.price ? 1 : 0) ||
        a.bid.bidIndex - b.bid.bidIndex,
    )
  const [best] = ranked
  return best ? { ...best, ranked } : undefined
}
