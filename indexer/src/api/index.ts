// Scheduler API over the indexed tables (Hono), plus Ponder's GraphQL (/graphql)
// and SQL-over-HTTP (/sql/*, for @ponder/client). Routes are listed in
// indexer/README.md. Amounts and ids are decimal strings; addresses lowercase.
// Reputation and payout views default to finalized data (?finality=latest
// includes blocks that may still be reorged away); bids are always latest.
import { db } from 'ponder:api'
import schema from 'ponder:schema'
import { Hono } from 'hono'
import {
  and,
  asc,
  client,
  desc,
  eq,
  graphql,
  inArray,
  lte,
  replaceBigInts,
  sql,
} from 'ponder'
import {
  type Outcome,
  type Reputation,
  reputationOf,
} from '../../../src/scheduler/reputation.ts'
import { scoreBid } from '../../../src/scheduler/score.ts'

type Hex = `0x${string}`
type Finality = 'finalized' | 'latest'
type Head = {
  latestBlock: bigint
  latestTimestamp: bigint
  finalizedBlock: bigint
  finalizedTimestamp: bigint
}

const app = new Hono()
app.use('/sql/*', client({ db, schema }))
app.use('/graphql', graphql({ db, schema }))

const json = <T>(value: T) => replaceBigInts(value, (v) => String(v))
const MAX = 2n ** 255n

class HttpError extends Error {
  override name = 'HttpError' as const
  status: 400 | 404
  constructor(status: 400 | 404, message: string) {
    super(message)
    this.status = status
  }
}

app.onError((error, c) => {
  if (error instanceof HttpError) {
    return c.json(
      { error: { message: error.message, type: 'invalid_request_error' } },
      error.status,
    )
  }
  return c.json(
    { error: { message: error.message, type: 'server_error' } },
    500,
  )
})

// Checkpoints are fixed-width strings: 10 digits of block timestamp, 16 of
// chain id, 16 of block number, ... (ponder/src/utils/checkpoint.ts).
function decode(checkpoint: string) {
  return {
    timestamp: BigInt(checkpoint.slice(0, 10)),
    block: BigInt(checkpoint.slice(26, 42)),
  }
}

/** The indexer's latest and finalized block (Ponder's checkpoint table). */
async function head(): Promise<Head> {
  const result = await db.execute(
    sql`SELECT latest_checkpoint, finalized_checkpoint FROM _ponder_checkpoint LIMIT 1`,
  )
  const row = (result as unknown as { rows: Record<string, string>[] }).rows[0]
  if (!row) {
    return {
      latestBlock: 0n,
      latestTimestamp: 0n,
      finalizedBlock: 0n,
      finalizedTimestamp: 0n,
    }
  }
  const latest = decode(String(row.latest_checkpoint))
  const finalized = decode(String(row.finalized_checkpoint))
  return {
    latestBlock: latest.block,
    latestTimestamp: latest.timestamp,
    finalizedBlock: finalized.block,
    finalizedTimestamp: finalized.timestamp,
  }
}

function finalityOf(value: string | undefined): Finality {
  if (value === undefined || value === 'finalized') return 'finalized'
  if (value === 'latest') return 'latest'
  throw new HttpError(400, `finality must be "finalized" or "latest"`)
}

function address(value: string): Hex {
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) {
    throw new HttpError(400, `invalid address: ${value}`)
  }
  return value.toLowerCase() as Hex
}

function bigintParam(value: string, name: string): bigint {
  if (!/^\d{1,78}$/.test(value)) throw new HttpError(400, `invalid ${name}`)
  return BigInt(value)
}

function limitOf(value: string | undefined): number {
  const n = value === undefined ? 100 : Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw new HttpError(400, 'limit must be an integer in [1, 1000]')
  }
  return n
}

const upTo = (finality: Finality, h: Head) =>
  finality === 'finalized' ? h.finalizedBlock : MAX

/** Settled tasks of `nodes` up to block `maxBlock`, grouped by node. */
async function outcomesOf(nodes: Hex[], maxBlock: bigint) {
  const out = new Map<Hex, Outcome[]>(nodes.map((n) => [n, []]))
  if (nodes.length === 0) return out
  const rows = await db
    .select()
    .from(schema.task)
    .where(
      and(
        inArray(schema.task.node, nodes),
        inArray(schema.task.state, ['Finalized', 'TimedOut', 'Slashed']),
        lte(schema.task.settledBlock, maxBlock),
      ),
    )
  for (const t of rows) {
    const kind =
      t.state === 'Finalized'
        ? 'completed'
        : t.state === 'TimedOut'
          ? 'timed_out'
          : 'slashed'
    const latency =
      t.committedAt !== null && t.assignedAt !== null
        ? Number(t.committedAt - t.assignedAt) / t.execWindow
        : null
    out.get(t.node as Hex)?.push({
      kind,
      value: t.price ?? 0n,
      at: t.settledAt ?? 0n,
      latency,
      requester: t.requester,
    })
  }
  return out
}

async function reputations(
  nodes: Hex[],
  finality: Finality,
  h: Head,
): Promise<Map<Hex, Reputation>> {
  const outcomes = await outcomesOf(nodes, upTo(finality, h))
  const now = h.latestTimestamp
  return new Map(
    [...outcomes].map(([n, list]) => [n, reputationOf(list, now)] as const),
  )
}

/** Latest on-chain counters (ReputationUpdated) of a node up to a block. */
async function countersOf(node: Hex, maxBlock: bigint) {
  const [row] = await db
    .select()
    .from(schema.reputation)
    .where(
      and(
        eq(schema.reputation.node, node),
        lte(schema.reputation.blockNumber, maxBlock),
      ),
    )
    .orderBy(desc(schema.reputation.blockNumber), desc(schema.reputation.id))
    .limit(1)
  return row
    ? {
        completed: row.completed,
        timedOut: row.timedOut,
        slashed: row.slashed,
        earned: row.earned,
        blockNumber: row.blockNumber,
      }
    : { completed: 0, timedOut: 0, slashed: 0, earned: 0n, blockNumber: null }
}

app.get('/head', async (c) => c.json(json(await head())))

// Open tasks by model (default state Posted), newest first.
app.get('/tasks', async (c) => {
  const state = c.req.query('state') ?? 'Posted'
  const model = c.req.query('model')
  const requester = c.req.query('requester')
  const filters = [eq(schema.task.state, state)]
  if (model) {
    if (!/^0x[0-9a-fA-F]{64}$/.test(model)) {
      throw new HttpError(400, 'model must be a 32-byte hex digest')
    }
    filters.push(eq(schema.task.modelDigest, model.toLowerCase() as Hex))
  }
  if (requester) filters.push(eq(schema.task.requester, address(requester)))
  const rows = await db
    .select()
    .from(schema.task)
    .where(and(...filters))
    .orderBy(desc(schema.task.postedBlock), desc(schema.task.id))
    .limit(limitOf(c.req.query('limit')))
  return c.json(json({ tasks: rows }))
})

app.get('/tasks/:id', async (c) => {
  const id = bigintParam(c.req.param('id'), 'task id')
  const [t] = await db.select().from(schema.task).where(eq(schema.task.id, id))
  if (!t) throw new HttpError(404, `task ${id} not indexed`)
  const bids = await db
    .select()
    .from(schema.bid)
    .where(eq(schema.bid.taskId, id))
    .orderBy(asc(schema.bid.bidIndex))
  const [r] = await db
    .select()
    .from(schema.receipt)
    .where(eq(schema.receipt.taskId, id))
  const [ch] = await db
    .select()
    .from(schema.challenge)
    .where(eq(schema.challenge.taskId, id))
  const votes = ch
    ? await db.select().from(schema.vote).where(eq(schema.vote.taskId, id))
    : []
  return c.json(
    json({
      task: t,
      bids,
      receipt: r ?? null,
      challenge: ch ? { ...ch, votes } : null,
    }),
  )
})

// Bids on a task, best first, with each node's reputation and the score.
app.get('/tasks/:id/bids', async (c) => {
  const id = bigintParam(c.req.param('id'), 'task id')
  const finality = finalityOf(c.req.query('finality'))
  const [t] = await db.select().from(schema.task).where(eq(schema.task.id, id))
  if (!t) throw new HttpError(404, `task ${id} not indexed`)
  const h = await head()
  const bids = await db
    .select()
    .from(schema.bid)
    .where(eq(schema.bid.taskId, id))
    .orderBy(asc(schema.bid.bidIndex))
  const reps = await reputations(
    [...new Set(bids.map((b) => b.node as Hex))],
    finality,
    h,
  )
  const ranked = bids
    .map((b) => {
      const reputation = reps.get(b.node as Hex) ?? reputationOf([], 0n)
      return {
        ...b,
        reputation,
        score: scoreBid({
          price: b.price,
          maxPrice: t.maxPrice,
          reputation: reputation.score,
          latency: reputation.latency,
        }),
      }
    })
    .sort(
      (a, b) =>
        b.score - a.score ||
        (a.price < b.price ? -1 : a.price > b.price ? 1 : 0) ||
        a.bidIndex - b.bidIndex,
    )
  return c.json(
    json({
      task: {
        id: t.id,
        state: t.state,
        maxPrice: t.maxPrice,
        bidDeadline: t.bidDeadline,
        modelDigest: t.modelDigest,
        requester: t.requester,
      },
      finality,
      head: h,
      bids: ranked,
    }),
  )
})

// Node profiles: stake (latest), counters and reputation (finalized by default).
app.get('/nodes', async (c) => {
  const finality = finalityOf(c.req.query('finality'))
  const h = await head()
  const rows = await db
    .select()
    .from(schema.node)
    .orderBy(asc(schema.node.address))
    .limit(limitOf(c.req.query('limit')))
  const reps = await reputations(
    rows.map((r) => r.address as Hex),
    finality,
    h,
  )
  const nodes = rows
    .map((r) => ({ ...r, reputation: reps.get(r.address as Hex) }))
    .sort((a, b) => (b.reputation?.score ?? 0) - (a.reputation?.score ?? 0))
  return c.json(json({ finality, head: h, nodes }))
})

app.get('/nodes/:address', async (c) => {
  const node = address(c.req.param('address'))
  const finality = finalityOf(c.req.query('finality'))
  const h = await head()
  const [row] = await db
    .select()
    .from(schema.node)
    .where(eq(schema.node.address, node))
  if (!row) throw new HttpError(404, `node ${node} not indexed`)
  const reps = await reputations([node], finality, h)
  const counters = await countersOf(node, upTo(finality, h))
  const recent = await db
    .select()
    .from(schema.task)
    .where(eq(schema.task.node, node))
    .orderBy(desc(schema.task.updatedBlock))
    .limit(20)
  return c.json(
    json({
      finality,
      head: h,
      node: { ...row, reputation: reps.get(node), counters },
      recentTasks: recent,
    }),
  )
})

/** Payout totals per account and kind up to the finality block. */
async function payoutTotals(maxBlock: bigint, account?: Hex) {
  const filters = [lte(schema.payout.blockNumber, maxBlock)]
  if (account) filters.push(eq(schema.payout.account, account))
  const rows = await db
    .select({
      account: schema.payout.account,
      kind: schema.payout.kind,
      amount: sql<string>`sum(${schema.payout.amount})`,
      count: sql<number>`count(*)::int`,
    })
    .from(schema.payout)
    .where(and(...filters))
    .groupBy(schema.payout.account, schema.payout.kind)
  const byAccount = new Map<
    string,
    { account: string; credited: bigint; withdrawn: bigint; kinds: object }
  >()
  for (const r of rows) {
    const entry = byAccount.get(r.account) ?? {
      account: r.account,
      credited: 0n,
      withdrawn: 0n,
      kinds: {},
    }
    const amount = BigInt(r.amount)
    // 'paid': pushed in the settling call (finalizeTask), like a withdrawal
    if (r.kind === 'withdrawal' || r.kind === 'paid') entry.withdrawn += amount
    else entry.credited += amount
    entry.kinds = {
      ...entry.kinds,
      [r.kind]: { amount, count: r.count },
    }
    byAccount.set(r.account, entry)
  }
  return [...byAccount.values()].sort((a, b) =>
    a.credited < b.credited ? 1 : a.credited > b.credited ? -1 : 0,
  )
}

// Payouts by account (nodes and requesters alike), finalized by default.
app.get('/payouts', async (c) => {
  const finality = finalityOf(c.req.query('finality'))
  const h = await head()
  const account = c.req.query('account')
  const totals = await payoutTotals(
    upTo(finality, h),
    account ? address(account) : undefined,
  )
  return c.json(json({ finality, head: h, payouts: totals }))
})

app.get('/nodes/:address/payouts', async (c) => {
  const node = address(c.req.param('address'))
  const finality = finalityOf(c.req.query('finality'))
  const h = await head()
  const maxBlock = upTo(finality, h)
  const [totals] = await payoutTotals(maxBlock, node)
  const items = await db
    .select()
    .from(schema.payout)
    .where(
      and(
        eq(schema.payout.account, node),
        lte(schema.payout.blockNumber, maxBlock),
      ),
    )
    .orderBy(desc(schema.payout.blockNumber), desc(schema.payout.id))
    .limit(limitOf(c.req.query('limit')))
  return c.json(
    json({
      finality,
      head: h,
      account: node,
      credited: totals?.credited ?? 0n,
      withdrawn: totals?.withdrawn ?? 0n,
      kinds: totals?.kinds ?? {},
      items,
    }),
  )
})

export default app
