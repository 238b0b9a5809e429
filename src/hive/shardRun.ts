// Runs one model pipeline-sharded across hive members on MLX's ring backend
// (native/src/shard.h) and keeps it alive: a rank per member, layers in
// proportion to free memory (shardPlan.ts), tokens streamed from the last
// rank. MLX's ring has no fault tolerance, so this coordinator does it: a
// rank that exits, stops beating, or a step that stalls fails the group;
// every rank is killed, members that died are dropped, the layers are
// re-planned on the rest and the request restarts from prompt + emitted
// tokens with the same seed (the sampler is counter-based, so the stream
// continues as if nothing happened). Every wait is bounded.
//
// For the hive router: `generateSharded({ modelPath, members, request })`
// (one request), or `ShardCluster.start()` + `cluster.generate()` to keep the
// ranks loaded between requests.
import { BaseError } from '../engine/errors.ts'
import { type Group, type GroupEvent, startGroup } from './shardGroup.ts'
import { ggufBlockCount } from './shardModelLayers.ts'
import {
  type PlanShardsOptions,
  planShards,
  type ShardMember,
  type ShardPlan,
} from './shardPlan.ts'
import { type RankSpawn, spawnLocalRank } from './shardRank.ts'
import type { WireRequest } from './shardWorker.ts'

export class ShardError extends BaseError {
  override name = 'ShardError' as const
  code: string
  constructor(code: string, message: string, details?: string) {
    super(message, { details })
    this.code = code
  }
}

export type ShardRunOptions = {
  /** A GGUF model file. */
  modelPath: string
  members: ShardMember[]
  /** Address the ranks listen on (the ring's hostfile). */
  host?: string
  contextLength?: number
  prefillChunkSize?: number
  plan?: PlanShardsOptions
  heartbeatMs?: number
  /** A rank silent this long is dead. */
  heartbeatTimeoutMs?: number
  loadTimeoutMs?: number
  connectTimeoutMs?: number
  /** No token for this long during a request: the group is stuck. */
  stepTimeoutMs?: number
  /** The same before the first token (prompt prefill sends no messages). */
  firstTokenTimeoutMs?: number
  /** Group restarts allowed per request (and at start) before giving up. */
  maxRestarts?: number
  spawnRank?: RankSpawn
}

/** A request: prompt token ids + sampling (seeded; a seed is drawn if absent). */
export type ShardRequest = Omit<WireRequest, 'resumeTokens'>

export type ShardEvent =
  | { type: 'token'; token: number; logprob: number }
  | { type: 'replan'; lost: string[]; reason: string; plan: ShardPlan }
  | {
      type: 'done'
      stats: Record<string, unknown>
      plan: ShardPlan
      restarts: number
    }

type Settings = Required<
  Omit<ShardRunOptions, 'contextLength' | 'prefillChunkSize' | 'plan'>
> &
  Pick<ShardRunOptions, 'contextLength' | 'prefillChunkSize' | 'plan'>

export class ShardCluster {
  private group: Group | undefined
  private readonly s: Settings
  readonly numLayers: number
  members: ShardMember[]

  private constructor(s: Settings, numLayers: number, members: ShardMember[]) {
    this.s = s
    this.numLayers = numLayers
    this.members = members
  }

  static async start(options: ShardRunOptions): Promise<ShardCluster> {
    const s: Settings = {
      host: '127.0.0.1',
      heartbeatMs: 200,
      heartbeatTimeoutMs: 5_000,
      loadTimeoutMs: 120_000,
      connectTimeoutMs: 60_000,
      stepTimeoutMs: 60_000,
      firstTokenTimeoutMs: 600_000,
      maxRestarts: 3,
      spawnRank: spawnLocalRank,
      ...options,
    }
    const cluster = new ShardCluster(s, await ggufBlockCount(s.modelPath), [
      ...s.members,
    ])
    await cluster.ensureGroup(0, '')
    return cluster
  }

  get plan(): ShardPlan | undefined {
    return this.group?.plan
  }

  /** Process ids by member (tests kill them). */
  pids(): Record<string, number | undefined> {
    return Object.fromEntries(
      (this.group?.ranks ?? []).map((r) => [r.memberId, r.pid]),
    )
  }

  /** Weight bytes each member's rank holds. */
  rankBytes(): Record<string, number> {
    return Object.fromEntries(this.group?.bytes ?? [])
  }

  /** Kills every rank; safe to call twice. */
  async close(): Promise<void> {
    const group = this.group
    this.group = undefined
    await group?.close()
  }

  dispose(): Promise<void> {
    return this.close()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  /** Streams one request's tokens; survives the loss of members. */
  async *generate(request: ShardRequest): AsyncGenerator<ShardEvent> {
    const seed = request.seed ?? Math.floor(Math.random() * 2 ** 31)
    const emitted: number[] = []
    let restarts = 0
    for (;;) {
      const group = this.group ?? (await this.ensureGroup(restarts, '')).group
      let failure: (GroupEvent & { type: 'failed' }) | undefined
      let finished = false
      try {
        for await (const e of group.run({
          ...request,
          seed,
          resumeTokens: [...emitted],
        })) {
          if (e.type === 'token') {
            emitted.push(e.token)
            yield e
          } else if (e.type === 'failed') {
            failure = e
          } else {
            finished = true
            yield { type: 'done', stats: e.stats, plan: group.plan, restarts }
            return
          }
        }
      } finally {
        // A consumer that stopped early leaves a group mid-request: unusable.
        if (!finished && !failure) await this.close()
      }
      if (!failure)
        throw new ShardError(
          'E_SHARD',
          'The sharded run ended without a result.',
        )
      if (failure.fatal)
        throw new ShardError(failure.code ?? 'E_SHARD', failure.reason)
      await this.close()
      this.drop(failure.lost)
      restarts++
      const next = await this.ensureGroup(restarts, failure.reason)
      const lost = [...failure.lost, ...next.lost]
      yield {
        type: 'replan',
        lost,
        reason: failure.reason,
        plan: next.group.plan,
      }
    }
  }

  private drop(lost: string[]): void {
    this.members = this.members.filter((m) => !lost.includes(m.id))
  }

  // Starts a group on the current members, dropping members that die while
  // it starts, until one runs or the restarts are used up.
  private async ensureGroup(
    restarts: number,
    why: string,
  ): Promise<{ group: Group; lost: string[] }> {
    const lost: string[] = []
    for (let attempt = restarts; ; attempt++) {
      if (attempt > this.s.maxRestarts)
        throw new ShardError(
          'E_SHARD_FAILED',
          `Sharded generation failed and its ${this.s.maxRestarts} allowed restart(s) are used up.`,
          why,
        )
      const plan = planShards(this.numLayers, this.members, this.s.plan)
      const started = await startGroup(plan, this.s)
      if (started.ok) {
        this.group = started.group
        return { group: started.group, lost }
      }
      if (started.fatal) throw new ShardError(started.code, started.reason)
      lost.push(...started.lost)
      this.drop(started.lost)
      why = started.reason
    }
  }
}

/** One request on a cluster started for it and closed after it. */
export async function* generateSharded(
  options: ShardRunOptions & { request: ShardRequest },
): AsyncGenerator<ShardEvent> {
  const cluster = await ShardCluster.start(options)
  try {
    yield* cluster.generate(options.request)
  } finally {
    await cluster.close()
  }
}
