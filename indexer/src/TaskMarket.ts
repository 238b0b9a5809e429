// TaskMarket handlers: the task lifecycle, bids, receipts, challenges and
// votes, payouts (pull-payment credits and withdrawals) and reputation
// counters. One event -> a few row writes; no RPC reads.
import { type Context, ponder } from 'ponder:registry'
import {
  bid,
  challenge,
  node,
  payout,
  receipt,
  reputation,
  task,
  vote,
} from 'ponder:schema'

type Hex = `0x${string}`
type EventMeta = {
  id: string
  block: { number: bigint; timestamp: bigint }
  transaction: { hash: Hex }
}

const verdicts = [
  'None',
  'Undecided',
  'NodeRight',
  'NodeSlashed',
  'Abandoned',
] as const

/** Creates the node row on first sight (a node always stakes first; be safe). */
async function ensureNode(context: Context, address: Hex, block: bigint) {
  await context.db
    .insert(node)
    .values({
      address,
      staked: 0n,
      locked: 0n,
      unbonding: 0n,
      active: false,
      disputes: 0,
      bids: 0,
      completed: 0,
      timedOut: 0,
      slashedCount: 0,
      earned: 0n,
      firstSeenBlock: block,
      updatedBlock: block,
    })
    .onConflictDoNothing()
}

async function credit(
  context: Context,
  event: EventMeta,
  suffix: string,
  p: { account: Hex; kind: string; amount: bigint; taskId: bigint | null },
) {
  if (p.amount === 0n) return
  await context.db.insert(payout).values({
    id: `${event.id}-${suffix}`,
    ...p,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    transactionHash: event.transaction.hash,
  })
}

/** Marks every bid of a task except `keep` as released. */
async function releaseBids(
  context: Context,
  taskId: bigint,
  keep: number | null,
) {
  const row = await context.db.find(task, { id: taskId })
  for (let i = 0; i < (row?.bidCount ?? 0); i++) {
    await context.db
      .update(bid, { taskId, bidIndex: i })
      .set({ status: i === keep ? 'won' : 'released' })
  }
}

async function settle(
  context: Context,
  event: EventMeta,
  taskId: bigint,
  fields: Partial<typeof task.$inferInsert>,
) {
  await context.db.update(task, { id: taskId }).set({
    ...fields,
    settledBlock: event.block.number,
    settledAt: event.block.timestamp,
    updatedBlock: event.block.number,
  })
}

ponder.on('TaskMarket:TaskPosted', async ({ event, context }) => {
  const a = event.args
  await context.db.insert(task).values({
    id: a.taskId,
    requester: a.requester,
    modelDigest: a.modelDigest,
    inputHash: a.inputHash,
    maxPrice: a.maxPrice,
    bidDeadline: a.bidDeadline,
    execWindow: a.execWindow,
    seed: a.seed,
    samplingParams: a.samplingParams,
    input: a.input,
    inputUri: a.inputURI,
    state: 'Posted',
    bidCount: 0,
    postedBlock: event.block.number,
    postedAt: event.block.timestamp,
    updatedBlock: event.block.number,
  })
})

ponder.on('TaskMarket:BidPlaced', async ({ event, context }) => {
  const { taskId, node: address, bidIndex, price } = event.args
  await ensureNode(context, address, event.block.number)
  await context.db.insert(bid).values({
    taskId,
    bidIndex,
    node: address,
    price,
    status: 'open',
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
  })
  await context.db
    .update(task, { id: taskId })
    .set((row) => ({ bidCount: row.bidCount + 1 }))
  await context.db
    .update(node, { address })
    .set((row) => ({ bids: row.bids + 1 }))
})

ponder.on('TaskMarket:BidRemoved', async ({ event, context }) => {
  // a cheaper bid takes this slot; its BidPlaced follows in the same tx
  const { taskId, bidIndex } = event.args
  await context.db.delete(bid, { taskId, bidIndex })
  await context.db
    .update(task, { id: taskId })
    .set((row) => ({ bidCount: row.bidCount - 1 }))
})

ponder.on('TaskMarket:TaskAssigned', async ({ event, context }) => {
  const { taskId, node: address, bidIndex, price, commitDeadline } = event.args
  // an off-chain signed bid or quote appears only here
  const known = await context.db.find(bid, { taskId, bidIndex })
  if (!known) {
    await ensureNode(context, address, event.block.number)
    await context.db.insert(bid).values({
      taskId,
      bidIndex,
      node: address,
      price,
      status: 'open',
      blockNumber: event.block.number,
      timestamp: event.block.timestamp,
    })
    await context.db
      .update(task, { id: taskId })
      .set((row) => ({ bidCount: row.bidCount + 1 }))
    await context.db
      .update(node, { address })
      .set((row) => ({ bids: row.bids + 1 }))
  }
  await context.db.update(task, { id: taskId }).set({
    state: 'Assigned',
    node: address,
    bidIndex,
    price,
    commitDeadline,
    assignedAt: event.block.timestamp,
    updatedBlock: event.block.number,
  })
  await releaseBids(context, taskId, bidIndex)
})

ponder.on('TaskMarket:TaskCommitted', async ({ event, context }) => {
  const a = event.args
  await context.db.insert(receipt).values({
    taskId: a.taskId,
    node: a.node,
    receiptHash: a.receiptHash,
    outputHash: a.outputHash,
    output: a.output,
    outputUri: a.outputURI,
    challengeDeadline: a.challengeDeadline,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    transactionHash: event.transaction.hash,
  })
  await context.db.update(task, { id: a.taskId }).set({
    state: 'Committed',
    committedAt: event.block.timestamp,
    updatedBlock: event.block.number,
  })
})

ponder.on('TaskMarket:ChallengeCommitted', async ({ event, context }) => {
  // bond posted with the seed commitment; the jury is drawn at the reveal
  const a = event.args
  await context.db.insert(challenge).values({
    taskId: a.taskId,
    challenger: a.challenger,
    node: a.node,
    bond: a.bond,
    evidenceHash: `0x${'0'.repeat(64)}`,
    voteCommitDeadline: a.revealBy,
    voteRevealDeadline: a.revealBy,
    jurors: [],
    openedBlock: event.block.number,
  })
  await context.db
    .update(task, { id: a.taskId })
    .set({ state: 'ChallengePending', updatedBlock: event.block.number })
})

ponder.on('TaskMarket:TaskChallenged', async ({ event, context }) => {
  const a = event.args
  await context.db.update(challenge, { taskId: a.taskId }).set({
    evidenceHash: a.evidenceHash,
    voteCommitDeadline: a.voteCommitDeadline,
    voteRevealDeadline: a.voteRevealDeadline,
    jurors: [...a.jurors],
  })
  for (const juror of a.jurors) {
    await context.db.insert(vote).values({
      taskId: a.taskId,
      juror,
      revealed: false,
      absent: false,
      updatedBlock: event.block.number,
    })
  }
  await context.db
    .update(task, { id: a.taskId })
    .set({ state: 'Challenged', updatedBlock: event.block.number })
})

ponder.on('TaskMarket:VoteCommitted', async ({ event, context }) => {
  const { taskId, juror, commitment } = event.args
  await context.db
    .update(vote, { taskId, juror })
    .set({ commitment, updatedBlock: event.block.number })
})

ponder.on('TaskMarket:VoteRevealed', async ({ event, context }) => {
  const { taskId, juror, nodeGuilty } = event.args
  await context.db
    .update(vote, { taskId, juror })
    .set({ revealed: true, nodeGuilty, updatedBlock: event.block.number })
})

ponder.on('TaskMarket:JurorAbsent', async ({ event, context }) => {
  const { taskId, juror, penalty } = event.args
  await context.db
    .update(vote, { taskId, juror })
    .set({ absent: true, penalty, updatedBlock: event.block.number })
})

ponder.on('TaskMarket:JurorRewarded', async ({ event, context }) => {
  const { taskId, juror, amount } = event.args
  await context.db
    .update(vote, { taskId, juror })
    .set({ reward: amount, updatedBlock: event.block.number })
  await credit(context, event, 'juror', {
    account: juror,
    kind: 'juror_reward',
    amount,
    taskId,
  })
})

ponder.on('TaskMarket:ChallengeResolved', async ({ event, context }) => {
  const a = event.args
  const verdict = verdicts[a.verdict] ?? 'None'
  const c = await context.db.update(challenge, { taskId: a.taskId }).set({
    verdict,
    guiltyVotes: a.guiltyVotes,
    innocentVotes: a.innocentVotes,
    slashed: a.slashed,
    finderFee: a.finderFee,
    resolvedBlock: event.block.number,
  })
  if (verdict === 'NodeSlashed') {
    // challenger: bond + finder's fee; requester: the whole escrow back
    const t = await context.db.find(task, { id: a.taskId })
    await credit(context, event, 'challenger', {
      account: c.challenger,
      kind: 'challenge_fee',
      amount: c.bond + a.finderFee,
      taskId: a.taskId,
    })
    if (t) {
      await credit(context, event, 'refund', {
        account: t.requester,
        kind: 'refund',
        amount: t.maxPrice,
        taskId: a.taskId,
      })
    }
    await settle(context, event, a.taskId, { state: 'Slashed' })
  } else if (verdict === 'Undecided') {
    // tie or no quorum: `finderFee` carries the part of the bond paid to the
    // frozen node; the rest goes back to the challenger
    await credit(context, event, 'challenger', {
      account: c.challenger,
      kind: 'challenge_fee',
      amount: c.bond - a.finderFee,
      taskId: a.taskId,
    })
    await credit(context, event, 'node', {
      account: c.node,
      kind: 'challenge_compensation',
      amount: a.finderFee,
      taskId: a.taskId,
    })
  } else if (verdict === 'Abandoned') {
    // the challenger never revealed its seed: the bond goes to the node
    await credit(context, event, 'node', {
      account: c.node,
      kind: 'challenge_compensation',
      amount: c.bond,
      taskId: a.taskId,
    })
  } else if (verdict === 'NodeRight') {
    // bond + absent jurors' penalties went to the innocent-voting jurors;
    // the rounding dust to the node
    let pot = c.bond
    let shared = 0n
    for (const juror of c.jurors) {
      const v = await context.db.find(vote, { taskId: a.taskId, juror })
      shared += v?.reward ?? 0n
      pot += v?.penalty ?? 0n
    }
    await credit(context, event, 'dust', {
      account: c.node,
      kind: 'juror_reward',
      amount: pot - shared,
      taskId: a.taskId,
    })
  }
})

ponder.on('TaskMarket:TaskFinalized', async ({ event, context }) => {
  const { taskId, node: address, payment, refund } = event.args
  const t = await context.db.find(task, { id: taskId })
  await settle(context, event, taskId, { state: 'Finalized', payment, refund })
  // finalizeTask pays both in the same call: credited and paid at once
  await credit(context, event, 'payment', {
    account: address,
    kind: 'task_payment',
    amount: payment,
    taskId,
  })
  await credit(context, event, 'payment-paid', {
    account: address,
    kind: 'paid',
    amount: payment,
    taskId,
  })
  if (t) {
    await credit(context, event, 'refund', {
      account: t.requester,
      kind: 'refund',
      amount: refund,
      taskId,
    })
    await credit(context, event, 'refund-paid', {
      account: t.requester,
      kind: 'paid',
      amount: refund,
      taskId,
    })
  }
})

ponder.on('TaskMarket:TaskCancelled', async ({ event, context }) => {
  const { taskId, refund } = event.args
  const t = await context.db.find(task, { id: taskId })
  await settle(context, event, taskId, { state: 'Cancelled', refund })
  await releaseBids(context, taskId, null)
  if (t) {
    await credit(context, event, 'refund', {
      account: t.requester,
      kind: 'refund',
      amount: refund,
      taskId,
    })
  }
})

ponder.on('TaskMarket:TaskTimedOut', async ({ event, context }) => {
  const { taskId, refund, slashed } = event.args
  const t = await context.db.find(task, { id: taskId })
  await settle(context, event, taskId, { state: 'TimedOut', refund })
  if (t) {
    await credit(context, event, 'refund', {
      account: t.requester,
      kind: 'refund',
      amount: refund,
      taskId,
    })
    await credit(context, event, 'slash', {
      account: t.requester,
      kind: 'slash_compensation',
      amount: slashed,
      taskId,
    })
  }
})

ponder.on('TaskMarket:ReputationUpdated', async ({ event, context }) => {
  const a = event.args
  await ensureNode(context, a.node, event.block.number)
  await context.db.insert(reputation).values({
    id: event.id,
    node: a.node,
    completed: a.completed,
    timedOut: a.timedOut,
    slashed: a.slashed,
    earned: a.earned,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
  })
  await context.db.update(node, { address: a.node }).set({
    completed: a.completed,
    timedOut: a.timedOut,
    slashedCount: a.slashed,
    earned: a.earned,
    updatedBlock: event.block.number,
  })
})

ponder.on('TaskMarket:Withdrawn', async ({ event, context }) => {
  await context.db.insert(payout).values({
    id: event.id,
    account: event.args.account,
    kind: 'withdrawal',
    amount: event.args.amount,
    taskId: null,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    transactionHash: event.transaction.hash,
  })
})
