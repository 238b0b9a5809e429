// Public surface of the chain layer: generated ABIs, the deployment file, and
// one typed action per contract operation (viem).
export { pocketTokenAbi, stakingAbi, taskMarketAbi } from './abis.ts'
export type {
  AssignSignedBidParameters,
  AssignSignedBidReturnType,
} from './assignSignedBid.ts'
export { assignSignedBid } from './assignSignedBid.ts'
export type {
  AssignTaskParameters,
  AssignTaskReturnType,
} from './assignTask.ts'
export { assignTask } from './assignTask.ts'
export type {
  CancelTaskParameters,
  CancelTaskReturnType,
} from './cancelTask.ts'
export { cancelTask } from './cancelTask.ts'
export type {
  ChallengeTaskParameters,
  ChallengeTaskReturnType,
} from './challengeTask.ts'
export { challengeTask } from './challengeTask.ts'
export type {
  CommitResultParameters,
  CommitResultReturnType,
} from './commitResult.ts'
export { commitResult } from './commitResult.ts'
export type {
  CommitVoteParameters,
  CommitVoteReturnType,
} from './commitVote.ts'
export { commitVote } from './commitVote.ts'
export type {
  Deployment,
  ReadDeploymentParameters,
  ReadDeploymentReturnType,
} from './deployment.ts'
export { readDeployment } from './deployment.ts'
export type {
  FinalizeTaskParameters,
  FinalizeTaskReturnType,
} from './finalizeTask.ts'
export { finalizeTask } from './finalizeTask.ts'
export type {
  ChainClients,
  GetContractsParameters,
  GetContractsReturnType,
} from './getContracts.ts'
export { getContracts } from './getContracts.ts'
export type {
  GetTaskParameters,
  GetTaskReturnType,
  TaskState,
} from './getTask.ts'
export { getTask, taskStates } from './getTask.ts'
export type { PlaceBidParameters, PlaceBidReturnType } from './placeBid.ts'
export { placeBid } from './placeBid.ts'
export type { PostTaskParameters, PostTaskReturnType } from './postTask.ts'
export { postTask } from './postTask.ts'
export type {
  PostTaskWithQuoteParameters,
  PostTaskWithQuoteReturnType,
} from './postTaskWithQuote.ts'
export { postTaskWithQuote } from './postTaskWithQuote.ts'
export type {
  RequestUnbondParameters,
  RequestUnbondReturnType,
} from './requestUnbond.ts'
export { requestUnbond } from './requestUnbond.ts'
export type {
  ResolveChallengeParameters,
  ResolveChallengeReturnType,
} from './resolveChallenge.ts'
export { resolveChallenge } from './resolveChallenge.ts'
export type {
  RevealVoteParameters,
  RevealVoteReturnType,
} from './revealVote.ts'
export { revealVote } from './revealVote.ts'
export type {
  SendTransactionParameters,
  SendTransactionReturnType,
} from './sendTransaction.ts'
export { sendTransaction } from './sendTransaction.ts'
export type { SignBidParameters, SignedBid } from './signBid.ts'
export { bidTypes, quoteTypes, signBid } from './signBid.ts'
export type {
  QuoteSpec,
  SignedQuote,
  SignQuoteParameters,
} from './signQuote.ts'
export { signQuote } from './signQuote.ts'
export type { StakeParameters, StakeReturnType } from './stake.ts'
export { stake } from './stake.ts'
export type {
  TimeoutTaskParameters,
  TimeoutTaskReturnType,
} from './timeoutTask.ts'
export { timeoutTask } from './timeoutTask.ts'
export type { WithdrawParameters, WithdrawReturnType } from './withdraw.ts'
export { withdraw } from './withdraw.ts'
export type {
  WithdrawUnbondedParameters,
  WithdrawUnbondedReturnType,
} from './withdrawUnbonded.ts'
export { withdrawUnbonded } from './withdrawUnbonded.ts'
