// Staking handlers: each node's bonded, locked and unbonding stake, its
// active flag and open disputes, plus a log of stake movements. Locks and
// disputes are kept by the market (TaskMarket:StakeLocked/StakeUnlocked/
// DisputesChanged, same row).
import { type Context, ponder } from 'ponder:registry'
import { node, stakeEvent } from 'ponder:schema'

type Hex = `0x${string}`
type EventMeta = {
  id: string
  block: { number: bigint; timestamp: bigint }
  transaction: { hash: Hex }
}

const fresh = (address: Hex, block: bigint): typeof node.$inferSelect => ({
  address,
  staked: 0n,
  locked: 0n,
  unbonding: 0n,
  unbondReadyAt: null,
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

/** Applies `update` to the node's row, creating the row on first sight. */
async function upsertNode(
  context: Context,
  address: Hex,
  block: bigint,
  update: (row: typeof node.$inferSelect) => Partial<typeof node.$inferInsert>,
) {
  const row = await context.db.find(node, { address })
  if (row) {
    await context.db
      .update(node, { address })
      .set({ ...update(row), updatedBlock: block })
  } else {
    const base = fresh(address, block)
    await context.db.insert(node).values({ ...base, ...update(base) })
  }
}

async function logStake(
  context: Context,
  event: EventMeta,
  p: { node: Hex; kind: string; amount: bigint; recipient: Hex | null },
) {
  await context.db.insert(stakeEvent).values({
    id: event.id,
    ...p,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    transactionHash: event.transaction.hash,
  })
}

ponder.on('Staking:Staked', async ({ event, context }) => {
  const a = event.args
  await upsertNode(context, a.node, event.block.number, () => ({
    staked: a.staked,
  }))
  await logStake(context, event, {
    node: a.node,
    kind: 'staked',
    amount: a.amount,
    recipient: null,
  })
})

ponder.on('Staking:UnbondRequested', async ({ event, context }) => {
  const a = event.args
  await upsertNode(context, a.node, event.block.number, (row) => ({
    staked: row.staked - a.amount,
    unbonding: a.unbonding,
    unbondReadyAt: a.readyAt,
  }))
  await logStake(context, event, {
    node: a.node,
    kind: 'unbond_requested',
    amount: a.amount,
    recipient: null,
  })
})

ponder.on('Staking:UnbondWithdrawn', async ({ event, context }) => {
  const a = event.args
  await upsertNode(context, a.node, event.block.number, () => ({
    unbonding: 0n,
    unbondReadyAt: null,
  }))
  await logStake(context, event, {
    node: a.node,
    kind: 'unbond_withdrawn',
    amount: a.amount,
    recipient: null,
  })
})

ponder.on('TaskMarket:StakeLocked', async ({ event, context }) => {
  const a = event.args
  await upsertNode(context, a.node, event.block.number, () => ({
    locked: a.locked,
  }))
})

ponder.on('TaskMarket:StakeUnlocked', async ({ event, context }) => {
  const a = event.args
  await upsertNode(context, a.node, event.block.number, () => ({
    locked: a.locked,
  }))
})

ponder.on('Staking:StakeSlashed', async ({ event, context }) => {
  const a = event.args
  // unbonding stake goes first, then bonded (Staking.slash)
  await upsertNode(context, a.node, event.block.number, (row) => ({
    staked: row.staked - (a.amount - a.fromUnbonding),
    unbonding: row.unbonding - a.fromUnbonding,
  }))
  await logStake(context, event, {
    node: a.node,
    kind: 'slashed',
    amount: a.amount,
    recipient: a.recipient,
  })
})

ponder.on('TaskMarket:DisputesChanged', async ({ event, context }) => {
  const a = event.args
  await upsertNode(context, a.node, event.block.number, () => ({
    disputes: a.disputes,
  }))
})

ponder.on('Staking:ActiveChanged', async ({ event, context }) => {
  const a = event.args
  await upsertNode(context, a.node, event.block.number, () => ({
    active: a.active,
  }))
})
