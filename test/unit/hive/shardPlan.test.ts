// The sharding plan: contiguous layer ranges in ring order, in proportion to
// free memory, every layer placed once, members without a share left out,
// capacity respected when the per-layer size is known.
import { describe, expect, test } from 'vitest'
import {
  planShards,
  type ShardPlan,
  ShardPlanError,
} from '../../../src/hive/shardPlan.ts'

const GiB = 2 ** 30

function layersOf(plan: ShardPlan): Record<string, number> {
  return Object.fromEntries(
    plan.ranks.map((r) => [r.memberId, r.layerEnd - r.layerStart]),
  )
}

function expectCovering(plan: ShardPlan) {
  let next = 0
  plan.ranks.forEach((r, i) => {
    expect(r.rank).toBe(i)
    expect(r.layerStart).toBe(next)
    expect(r.layerEnd).toBeGreaterThan(r.layerStart)
    next = r.layerEnd
  })
  expect(next).toBe(plan.numLayers)
}

describe('planShards', () => {
  test('splits layers in proportion to free memory', () => {
    const plan = planShards(30, [
      { id: 'mac', freeMemoryBytes: 16 * GiB },
      { id: 'ipad', freeMemoryBytes: 8 * GiB },
      { id: 'iphone', freeMemoryBytes: 6 * GiB },
    ])
    expectCovering(plan)
    expect(layersOf(plan)).toEqual({ mac: 16, ipad: 8, iphone: 6 })
  })

  test('equal members get equal shares; remainders go to the larger fractions', () => {
    expect(
      layersOf(
        planShards(30, [
          { id: 'a', freeMemoryBytes: 1 },
          { id: 'b', freeMemoryBytes: 1 },
        ]),
      ),
    ).toEqual({ a: 15, b: 15 })
    const plan = planShards(30, [
      { id: 'a', freeMemoryBytes: 1 },
      { id: 'b', freeMemoryBytes: 1 },
      { id: 'c', freeMemoryBytes: 1 },
      { id: 'd', freeMemoryBytes: 1 },
    ])
    expectCovering(plan)
    expect(layersOf(plan)).toEqual({ a: 8, b: 8, c: 7, d: 7 })
    // 10/17 of 7 = 4.12, 7/17 of 7 = 2.88: the larger remainder wins the spare layer.
    expect(
      layersOf(
        planShards(7, [
          { id: 'x', freeMemoryBytes: 10 },
          { id: 'y', freeMemoryBytes: 7 },
        ]),
      ),
    ).toEqual({ x: 4, y: 3 })
  })

  test('keeps the given ring order and leaves out members without a share', () => {
    const plan = planShards(4, [
      { id: 'tiny', freeMemoryBytes: 1 },
      { id: 'big', freeMemoryBytes: 1000 },
      { id: 'none', freeMemoryBytes: 0 },
      { id: 'mid', freeMemoryBytes: 500 },
    ])
    expectCovering(plan)
    expect(plan.ranks.map((r) => r.memberId)).toEqual(['big', 'mid'])
    expect(layersOf(plan)).toEqual({ big: 3, mid: 1 })
  })

  test('more members than layers: one layer each for the largest shares', () => {
    const plan = planShards(2, [
      { id: 'a', freeMemoryBytes: 3 },
      { id: 'b', freeMemoryBytes: 2 },
      { id: 'c', freeMemoryBytes: 1 },
    ])
    expectCovering(plan)
    expect(layersOf(plan)).toEqual({ a: 1, b: 1 })
  })

  test('a member that cannot hold its share passes layers to one with room', () => {
    // Equal memory gives 4 + 4, but the last member also holds a 3-GiB head,
    // so it fits only 3 one-GiB layers; the first takes the extra one.
    const plan = planShards(
      8,
      [
        { id: 'first', freeMemoryBytes: 6 * GiB },
        { id: 'last', freeMemoryBytes: 6 * GiB },
      ],
      { layerBytes: GiB, headBytes: 3 * GiB },
    )
    expectCovering(plan)
    expect(layersOf(plan)).toEqual({ first: 5, last: 3 })
  })

  test('a model that does not fit is an error naming the shortfall', () => {
    expect(() =>
      planShards(
        10,
        [
          { id: 'a', freeMemoryBytes: 4 * GiB },
          { id: 'b', freeMemoryBytes: 4 * GiB },
        ],
        { layerBytes: GiB },
      ),
    ).toThrow(/2 of 10 layers have no member with room/)
  })

  test('bad input is an error', () => {
    expect(() => planShards(0, [{ id: 'a', freeMemoryBytes: 1 }])).toThrow(
      ShardPlanError,
    )
    expect(() => planShards(4, [])).toThrow(/No hive member has free memory/)
    expect(() =>
      planShards(4, [
        { id: 'a', freeMemoryBytes: 1 },
        { id: 'a', freeMemoryBytes: 2 },
      ]),
    ).toThrow(/listed twice/)
    expect(() =>
      planShards(4, [{ id: 'a', freeMemoryBytes: Number.NaN }]),
    ).toThrow(ShardPlanError)
  })

  test('is deterministic and re-plans on survivors', () => {
    const members = [
      { id: 'a', freeMemoryBytes: 5 },
      { id: 'b', freeMemoryBytes: 3 },
      { id: 'c', freeMemoryBytes: 2 },
    ]
    expect(planShards(30, members)).toEqual(planShards(30, members))
    const after = planShards(
      30,
      members.filter((m) => m.id !== 'b'),
    )
    expectCovering(after)
    expect(layersOf(after)).toEqual({ a: 21, c: 9 })
  })
})
