// Tables the indexer builds from TaskMarket and Staking events. Tables are
// snake_case in the database and camelCase here; every column states its
// nullability. uint256 amounts are `bigint` (numeric(78)), wei units.
// Each row keeps the block it was last changed in so the API can serve
// finalized-only views (see indexer/README.md, "Finality and reorgs").
import { index, onchainTable, primaryKey, relations } from 'ponder'

/** One row per task (`taskId = requester << 96 | sequence`). */
export const task = onchainTable(
  'task',
  (t) => ({
    id: t.bigint().primaryKey(),
    requester: t.hex().notNull(),
    modelDigest: t.hex().notNull(),
    inputHash: t.hex().notNull(),
    maxPrice: t.bigint().notNull(),
    bidDeadline: t.bigint().notNull(),
    execWindow: t.integer().notNull(),
    seed: t.bigint().notNull(),
    samplingParams: t.hex().notNull(),
    input: t.hex().notNull(),
    inputUri: t.text().notNull(),
    /** Posted | Assigned | Committed | Challenged | Finalized | Cancelled | TimedOut | Slashed */
    state: t.text().notNull(),
    bidCount: t.integer().notNull(),
    /** Assigned node, its bid index and price; null until `TaskAssigned`. */
    node: t.hex(),
    bidIndex: t.integer(),
    price: t.bigint(),
    commitDeadline: t.bigint(),
    /** Node's payment and requester's refund at settlement; null before. */
    payment: t.bigint(),
    refund: t.bigint(),
    postedBlock: t.bigint().notNull(),
    postedAt: t.bigint().notNull(),
    assignedAt: t.bigint(),
    committedAt: t.bigint(),
    /** Block and time of the terminal event (finalized, cancelled, timed out, slashed). */
    settledBlock: t.bigint(),
    settledAt: t.bigint(),
    updatedBlock: t.bigint().notNull(),
  }),
  (table) => ({
    stateModelIdx: index().on(table.state, table.modelDigest),
    requesterIdx: index().on(table.requester),
    nodeIdx: index().on(table.node),
  }),
)

/** Bids, at most `maxBids` per task; `status` open -> won | released. */
export const bid = onchainTable(
  'bid',
  (t) => ({
    taskId: t.bigint().notNull(),
    bidIndex: t.integer().notNull(),
    node: t.hex().notNull(),
    price: t.bigint().notNull(),
    status: t.text().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.taskId, table.bidIndex] }),
    nodeIdx: index().on(table.node),
  }),
)

/** Node profile: current stake (Staking events) and counters. */
export const node = onchainTable('node', (t) => ({
  address: t.hex().primaryKey(),
  staked: t.bigint().notNull(),
  locked: t.bigint().notNull(),
  unbonding: t.bigint().notNull(),
  unbondReadyAt: t.bigint(),
  active: t.boolean().notNull(),
  disputes: t.integer().notNull(),
  bids: t.integer().notNull(),
  /** On-chain reputation counters (latest `ReputationUpdated`). */
  completed: t.integer().notNull(),
  timedOut: t.integer().notNull(),
  slashedCount: t.integer().notNull(),
  earned: t.bigint().notNull(),
  firstSeenBlock: t.bigint().notNull(),
  updatedBlock: t.bigint().notNull(),
}))

/** Every stake movement: staked, unbond_requested, unbond_withdrawn, slashed. */
export const stakeEvent = onchainTable(
  'stake_event',
  (t) => ({
    id: t.text().primaryKey(),
    node: t.hex().notNull(),
    kind: t.text().notNull(),
    amount: t.bigint().notNull(),
    /** Slash recipient; null for other kinds. */
    recipient: t.hex(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    transactionHash: t.hex().notNull(),
  }),
  (table) => ({ nodeIdx: index().on(table.node) }),
)

/** The committed result of a task (receipt hash + output). */
export const receipt = onchainTable('receipt', (t) => ({
  taskId: t.bigint().primaryKey(),
  node: t.hex().notNull(),
  receiptHash: t.hex().notNull(),
  outputHash: t.hex().notNull(),
  output: t.hex().notNull(),
  outputUri: t.text().notNull(),
  challengeDeadline: t.bigint().notNull(),
  blockNumber: t.bigint().notNull(),
  timestamp: t.bigint().notNull(),
  transactionHash: t.hex().notNull(),
}))

/** A challenge against a committed task and its verdict. */
export const challenge = onchainTable('challenge', (t) => ({
  taskId: t.bigint().primaryKey(),
  challenger: t.hex().notNull(),
  node: t.hex().notNull(),
  bond: t.bigint().notNull(),
  evidenceHash: t.hex().notNull(),
  voteCommitDeadline: t.bigint().notNull(),
  voteRevealDeadline: t.bigint().notNull(),
  jurors: t.hex().array().notNull(),
  /** Undecided | NodeRight | NodeSlashed | Abandoned; null while open. */
  verdict: t.text(),
  guiltyVotes: t.integer(),
  innocentVotes: t.integer(),
  slashed: t.bigint(),
  finderFee: t.bigint(),
  openedBlock: t.bigint().notNull(),
  resolvedBlock: t.bigint(),
}))

/** A juror's ballot: commitment, reveal, absence, reward. */
export const vote = onchainTable(
  'vote',
  (t) => ({
    taskId: t.bigint().notNull(),
    juror: t.hex().notNull(),
    commitment: t.hex(),
    revealed: t.boolean().notNull(),
    nodeGuilty: t.boolean(),
    absent: t.boolean().notNull(),
    reward: t.bigint(),
    /** Slashed from the juror's stake for not revealing. */
    penalty: t.bigint(),
    updatedBlock: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.taskId, table.juror] }) }),
)

/**
 * Money credited to or withdrawn by an account: task_payment (node),
 * refund (requester), juror_reward, challenge_fee (bond back + finder's fee),
 * withdrawal. Credits are pull payments; `withdrawal` is the pull.
 */
export const payout = onchainTable(
  'payout',
  (t) => ({
    id: t.text().primaryKey(),
    account: t.hex().notNull(),
    kind: t.text().notNull(),
    amount: t.bigint().notNull(),
    taskId: t.bigint(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    transactionHash: t.hex().notNull(),
  }),
  (table) => ({ accountIdx: index().on(table.account, table.blockNumber) }),
)

/**
 * History of `ReputationUpdated` (cumulative on-chain counters per node), so
 * the counters as of any block, e.g. the finalized one, can be read back.
 * The score itself is computed from settled tasks (src/scheduler/reputation.ts).
 */
export const reputation = onchainTable(
  'reputation',
  (t) => ({
    id: t.text().primaryKey(),
    node: t.hex().notNull(),
    completed: t.integer().notNull(),
    timedOut: t.integer().notNull(),
    slashed: t.integer().notNull(),
    earned: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
  }),
  (table) => ({ nodeIdx: index().on(table.node, table.blockNumber) }),
)

export const taskRelations = relations(task, ({ many }) => ({
  bids: many(bid),
}))

export const bidRelations = relations(bid, ({ one }) => ({
  task: one(task, { fields: [bid.taskId], references: [task.id] }),
  profile: one(node, { fields: [bid.node], references: [node.address] }),
}))

export const nodeRelations = relations(node, ({ many }) => ({
  bids: many(bid),
  payouts: many(payout),
}))

export const payoutRelations = relations(payout, ({ one }) => ({
  profile: one(node, { fields: [payout.account], references: [node.address] }),
}))
