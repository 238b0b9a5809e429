// Pipeline-sharding plan: which hive member runs which layers of a model no
// single device can hold. Layers go to members in proportion to their free
// memory (largest remainders), as contiguous ranges in ring order; a member
// whose share rounds to nothing is left out, and when the per-layer size is
// known no member gets more than fits. Pure: the coordinator (shardRun.ts)
// calls it again on the surviving members when a rank dies.
import { BaseError } from '../engine/errors.ts'

export type ShardMember = {
  /** Stable id of the hive member (device). */
  id: string
  /** Memory the member can give this model, in bytes. */
  freeMemoryBytes: number
}

export type ShardAssignment = {
  memberId: string
  rank: number
  /** Layers [layerStart, layerEnd) of the model. */
  layerStart: number
  layerEnd: number
}

export type ShardPlan = {
  numLayers: number
  ranks: ShardAssignment[]
}

export type PlanShardsOptions = {
  /** Bytes one layer needs (weights + KV cache); enables the fit check. */
  layerBytes?: number
  /** Extra bytes on rank 0 (embeddings) and on the last rank (LM head). */
  embeddingBytes?: number
  headBytes?: number
}

export class ShardPlanError extends BaseError {
  override name = 'ShardPlanError' as const
}

export function planShards(
  numLayers: number,
  members: readonly ShardMember[],
  options: PlanShardsOptions = {},
): ShardPlan {
  if (!Number.isInteger(numLayers) || numLayers < 1)
    throw new ShardPlanError('A model to shard needs at least one layer.', {
      details: `numLayers = ${numLayers}`,
    })
  const ids = new Set<string>()
  for (const m of members) {
    if (ids.has(m.id))
      throw new ShardPlanError(`Member "${m.id}" is listed twice.`)
    ids.add(m.id)
  }
  const usable = members.filter(
    (m) => Number.isFinite(m.freeMemoryBytes) && m.freeMemoryBytes > 0,
  )
  if (usable.length === 0)
    throw new ShardPlanError('No hive member has free memory for the model.', {
      details: `${members.length} member(s) offered`,
    })
  const counts = proportionalCounts(
    numLayers,
    usable.map((m) => m.freeMemoryBytes),
  )
  if (options.layerBytes && options.layerBytes > 0)
    fitToCapacity(counts, usable, numLayers, options)
  const ranks: ShardAssignment[] = []
  let start = 0
  usable.forEach((m, i) => {
    if (counts[i] === 0) return
    ranks.push({
      memberId: m.id,
      rank: ranks.length,
      layerStart: start,
      layerEnd: start + counts[i],
    })
    start += counts[i]
  })
  return { numLayers, ranks }
}

// Largest-remainder apportionment; ties go to the earlier member.
function proportionalCounts(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0)
  const exact = weights.map((w) => (w / sum) * total)
  const counts = exact.map(Math.floor)
  let left = total - counts.reduce((a, b) => a + b, 0)
  const order = exact
    .map((x, i) => ({ i, rest: x - Math.floor(x) }))
    .sort((a, b) => b.rest - a.rest || a.i - b.i)
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--)
    counts[order[k].i]++
  return counts
}

// Moves layers off members that cannot hold their share to those with room.
function fitToCapacity(
  counts: number[],
  members: readonly ShardMember[],
  numLayers: number,
  o: PlanShardsOptions,
): void {
  const layerBytes = o.layerBytes as number
  const capacity = (i: number, first: boolean, last: boolean) => {
    const extra =
      (first ? (o.embeddingBytes ?? 0) : 0) + (last ? (o.headBytes ?? 0) : 0)
    return Math.max(
      0,
      Math.floor((members[i].freeMemoryBytes - extra) / layerBytes),
    )
  }
  // Embeddings go with the first member that holds layers, the head with the
  // last; recompute the roles until the counts settle.
  for (let round = 0; round < members.length + 2; round++) {
    const held = counts.flatMap((c, i) => (c > 0 ? [i] : []))
    const caps = counts.map((_, i) =>
      capacity(i, i === held[0], i === held[held.length - 1]),
    )
    let overflow = 0
    counts.forEach((c, i) => {
      if (c > caps[i]) {
        overflow += c - caps[i]
        counts[i] = caps[i]
      }
    })
    if (overflow === 0) return
    const spare = counts
      .map((c, i) => ({ i, room: caps[i] - c }))
      .filter((s) => s.room > 0)
      .sort((a, b) => b.room - a.room || a.i - b.i)
    for (const s of spare) {
      const take = Math.min(s.room, overflow)
      counts[s.i] += take
      overflow -= take
    }
    if (overflow > 0)
      throw new ShardPlanError(
        `The model does not fit in the hive: ${overflow} of ${numLayers} layers have no member with room.`,
        {
          details: `${members.length} member(s), ${layerBytes} bytes per layer`,
        },
      )
  }
}
