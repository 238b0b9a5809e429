// One incarnation of a sharded model: the rank processes of one plan, their
// ring (hostfile on fresh ports), and the requests run on it. Any failure
// kills the whole group (the ring cannot lose a member); the caller
// (shardRun.ts) re-plans. Reports which members were lost: a rank that exited
// on its own or stopped beating. The neighbours of a dead rank are not lost:
// MLX fails their pending send/recv ("[ring] connection to a peer was lost",
// an engine error, or an abort when it is thrown outside an eval).
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ShardPlan } from './shardPlan.ts'
import { RankProcess, type RankSpawn } from './shardRank.ts'
import type { FromRank, WireRequest } from './shardWorker.ts'

export type GroupSettings = {
  modelPath: string
  host: string
  contextLength?: number
  prefillChunkSize?: number
  heartbeatMs: number
  heartbeatTimeoutMs: number
  loadTimeoutMs: number
  connectTimeoutMs: number
  stepTimeoutMs: number
  firstTokenTimeoutMs: number
  spawnRank: RankSpawn
}

type Failure = {
  lost: string[]
  reason: string
  fatal?: boolean
  code?: string
}
type Item = { rank: RankProcess; m: FromRank | { type: 'exit' } }
export type GroupEvent =
  | { type: 'token'; token: number; logprob: number }
  | { type: 'done'; stats: Record<string, unknown> }
  | ({ type: 'failed' } & Failure)

// Errors that every rank raises alike for a bad request or model: no restart helps.
const FATAL = new Set([
  'E_INVALID_ARG',
  'E_CONTEXT',
  'E_MODEL_LOAD',
  'E_UNSUPPORTED',
])
const SETTLE_MS = 500

export type StartResult =
  | { ok: true; group: Group }
  | ({ ok: false; code: string } & Failure)

export async function startGroup(
  plan: ShardPlan,
  s: GroupSettings,
): Promise<StartResult> {
  const n = plan.ranks.length
  const dir = await mkdtemp(join(tmpdir(), 'pocket-shard-'))
  const env: Record<string, string>[] = plan.ranks.map(() => ({}))
  if (n > 1) {
    const ports = await freePorts(n, s.host)
    const hostfile = join(dir, 'hostfile.json')
    await writeFile(
      hostfile,
      JSON.stringify(ports.map((p) => [`${s.host}:${p}`])),
    )
    plan.ranks.forEach((r, i) => {
      env[i] = { MLX_RANK: String(r.rank), MLX_HOSTFILE: hostfile }
    })
  }
  const ranks = plan.ranks.map(
    (r, i) =>
      new RankProcess(
        r.memberId,
        r.rank,
        s.spawnRank({ memberId: r.memberId, rank: r.rank, env: env[i] }),
      ),
  )
  const group = new Group(plan, ranks, s, dir)
  plan.ranks.forEach((r, i) => {
    ranks[i].send({
      type: 'load',
      path: s.modelPath,
      layerStart: r.layerStart,
      layerEnd: r.layerEnd,
      contextLength: s.contextLength,
      prefillChunkSize: s.prefillChunkSize,
      heartbeatMs: s.heartbeatMs,
    })
  })
  let failure = await group.waitAll('loaded', s.loadTimeoutMs, true)
  if (!failure) {
    // Every rank has its layers: join the ring together (MLX retries a
    // connect for ~30 s, but waits on accept forever).
    group.broadcast({ type: 'connect' })
    failure = await group.waitAll('connected', s.connectTimeoutMs, false)
  }
  if (!failure) return { ok: true, group }
  await group.close()
  return { ok: false, code: failure.code ?? 'E_SHARD', ...failure }
}

export class Group {
  idle = true
  /** Weight bytes each member's rank holds (from its load). */
  readonly bytes = new Map<string, number>()
  private inbox: Item[] = []
  private wake: (() => void) | undefined

  readonly plan: ShardPlan
  readonly ranks: RankProcess[]
  private readonly s: GroupSettings
  private readonly dir: string

  constructor(
    plan: ShardPlan,
    ranks: RankProcess[],
    s: GroupSettings,
    dir: string,
  ) {
    this.plan = plan
    this.ranks = ranks
    this.s = s
    this.dir = dir
    for (const r of ranks)
      r.on((m) => {
        if (m.type === 'beat') return
        this.inbox.push({ rank: r, m })
        this.wake?.()
      })
  }

  broadcast(m: Parameters<RankProcess['send']>[0]): void {
    for (const r of this.ranks) r.send(m)
  }

  // The next message, or undefined after `ms` (so timeouts get checked).
  private async next(ms: number): Promise<Item | undefined> {
    if (!this.inbox.length)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms)
        this.wake = () => {
          clearTimeout(t)
          resolve()
        }
      })
    this.wake = undefined
    return this.inbox.shift()
  }

  /** Waits until every rank sent `type`; a Failure when one cannot. */
  async waitAll(
    type: 'loaded' | 'connected',
    timeoutMs: number,
    slowIsLost: boolean,
  ): Promise<Failure | undefined> {
    const got = new Set<RankProcess>()
    const deadline = Date.now() + timeoutMs
    while (got.size < this.ranks.length) {
      const item = await this.next(this.s.heartbeatMs)
      if (item?.m.type === type) {
        got.add(item.rank)
        if (item.m.type === 'loaded')
          this.bytes.set(item.rank.memberId, item.m.nbytes)
      } else if (item) return this.fail(item)
      const stale = this.stale()
      if (stale.length)
        return this.fail(undefined, `no heartbeat from ${stale.join(', ')}`)
      if (Date.now() > deadline) {
        const slow = this.ranks
          .filter((r) => !got.has(r))
          .map((r) => r.memberId)
        return this.fail(
          undefined,
          `${type} timed out after ${timeoutMs} ms (waiting for ${slow.join(', ')})`,
          slowIsLost ? slow : [],
        )
      }
    }
    return undefined
  }

  /** Runs one request: tokens from the last rank, then done or failed. */
  async *run(request: WireRequest): AsyncGenerator<GroupEvent> {
    this.idle = false
    this.inbox = this.inbox.filter((it) => it.m.type === 'exit')
    if (this.inbox.length || this.stale().length) {
      yield {
        type: 'failed',
        ...(await this.fail(
          this.inbox.shift(),
          'a rank died between requests',
        )),
      }
      return
    }
    this.broadcast({ type: 'generate', request })
    const done = new Map<RankProcess, Record<string, unknown>>()
    const last = this.ranks[this.ranks.length - 1]
    let progress = Date.now()
    let heard = false
    while (done.size < this.ranks.length) {
      const item = await this.next(this.s.heartbeatMs)
      if (item) {
        progress = Date.now()
        heard = true
      }
      if (item?.m.type === 'token' && item.rank === last) {
        yield { type: 'token', token: item.m.token, logprob: item.m.logprob }
      } else if (item?.m.type === 'done') {
        done.set(item.rank, item.m.stats)
      } else if (item) {
        const f = await this.fail(item)
        if (f.fatal) this.idle = true
        yield { type: 'failed', ...f }
        return
      }
      const stale = this.stale()
      // Before the first token the prompt is being prefilled (no messages).
      const limit = heard ? this.s.stepTimeoutMs : this.s.firstTokenTimeoutMs
      const stuck = Date.now() - progress > limit
      if (stale.length || stuck) {
        const why = stale.length
          ? `no heartbeat from ${stale.join(', ')}`
          : `no progress for ${limit} ms`
        yield { type: 'failed', ...(await this.fail(undefined, why)) }
        return
      }
    }
    this.idle = true
    yield { type: 'done', stats: done.get(last) ?? {} }
  }

  cancel(): void {
    this.ranks[0]?.send({ type: 'cancel' })
  }

  private stale(): string[] {
    const now = Date.now()
    return this.ranks
      .filter((r) => !r.exit && now - r.lastBeat > this.s.heartbeatTimeoutMs)
      .map((r) => r.memberId)
  }

  // Lets cascading exits land, then names the members that are gone. An
  // error every rank reports alike (bad request or model) is fatal and leaves
  // the group as it is; anything else kills the group.
  private async fail(
    first?: Item,
    why?: string,
    extraLost: string[] = [],
  ): Promise<Failure> {
    const errors = new Map<RankProcess, { code: string; message: string }>()
    const note = (it: Item) => {
      if (it.m.type === 'error') errors.set(it.rank, it.m)
    }
    if (first) note(first)
    const until = Date.now() + SETTLE_MS
    while (Date.now() < until && errors.size < this.ranks.length) {
      const it = await this.next(until - Date.now())
      if (it) note(it)
    }
    const codes = new Set([...errors.values()].map((e) => e.code))
    const firstError = [...errors.values()][0]
    if (
      errors.size === this.ranks.length &&
      codes.size === 1 &&
      FATAL.has(firstError.code)
    )
      return {
        lost: [],
        reason: firstError.message,
        fatal: true,
        code: firstError.code,
      }
    const lost = new Set(extraLost)
    for (const r of this.ranks)
      if (r.exit && !r.ringCascade) lost.add(r.memberId)
    for (const id of this.stale()) lost.add(id)
    const exits = this.ranks
      .filter((r) => r.exit)
      .map((r) => `${r.memberId}: ${r.describeExit()}`)
    const reason = [
      why,
      firstError && `${firstError.code}: ${firstError.message}`,
      ...exits,
    ]
      .filter(Boolean)
      .join('; ')
    await this.close()
    return { lost: [...lost], reason: reason || 'the group failed' }
  }

  async close(): Promise<void> {
    this.idle = false
    await Promise.all(this.ranks.map((r) => r.kill()))
    await rm(this.dir, { recursive: true, force: true })
  }
}

async function freePorts(n: number, host: string): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const srv = createServer()
          srv.once('error', reject)
          srv.listen(0, host, () => resolve(srv))
        }),
    ),
  )
  const ports = servers.map((srv) => (srv.address() as { port: number }).port)
  await Promise.all(servers.map((srv) => new Promise((r) => srv.close(r))))
  return ports
}
