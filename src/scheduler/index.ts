// Public surface of the scheduler: reputation and bid score (pure), the
// indexer API client, pickBid() and assignBestBid().
export type {
  AssignBestBidParameters,
  AssignBestBidReturnType,
} from './assignBestBid.ts'
export { assignBestBid, SchedulerError } from './assignBestBid.ts'
export type {
  Finality,
  IndexedBid,
  IndexerClient,
  IndexerHead,
  TaskBids,
} from './createIndexerClient.ts'
export { createIndexerClient, IndexerApiError } from './createIndexerClient.ts'
export type { PickBidParameters, PickBidReturnType } from './pickBid.ts'
export { pickBid } from './pickBid.ts'
export type { Outcome, Reputation, ReputationOptions } from './reputation.ts'
export { reputationDefaults, reputationOf } from './reputation.ts'
export type { ScoreBidParameters, ScoreWeights } from './score.ts'
export { scoreBid, scoreDefaults, unknownLatency } from './score.ts'
