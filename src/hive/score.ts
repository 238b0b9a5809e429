// Routing score of one member for one model: higher is better, null when
// the member cannot take the request. Throughput is the measured decode
// tok/s shared by the queue; a model that must load first, round-trip time,
// battery and heat scale it down. A member discharging below the battery
// floor, or critically hot, is skipped.
import type { PowerState } from './power/types.ts'

export type MemberLoad = {
  /** Models loaded now (identifiers). */
  loaded: string[]
  /** Models it can load (catalogue keys and aliases). */
  available: string[]
  /** Generations running or queued. */
  queue: number
  /** Measured decode tok/s (moving average), null before the first request. */
  tokPerSec: number | null
  power: PowerState
}

export type ScorePolicy = {
  /** Skip members discharging below this battery percent (default 20). */
  batteryFloor: number
  /** Assumed tok/s before a member has measured any (default 20). */
  defaultTokPerSec: number
}

export const DEFAULT_POLICY: ScorePolicy = {
  batteryFloor: 20,
  defaultTokPerSec: 20,
}

export type Score = { score: number | null; why: string }

export function scoreMember(
  m: MemberLoad,
  model: string,
  rttMs: number,
  policy: ScorePolicy = DEFAULT_POLICY,
): Score {
  const loaded = m.loaded.includes(model)
  if (!loaded && !m.available.includes(model))
    return { score: null, why: 'does not have the model' }
  const b = m.power.battery
  if (b && !b.charging && b.percent < policy.batteryFloor)
    return { score: null, why: `battery ${b.percent}% discharging` }
  if (m.power.thermal === 'critical')
    return { score: null, why: 'thermal state critical' }
  let s = (m.tokPerSec ?? policy.defaultTokPerSec) / (1 + m.queue)
  if (!loaded) s *= 0.5 // a load comes first
  s /= 1 + Math.max(0, rttMs) / 20 // 20 ms of round trip halves it
  if (b && !b.charging) s *= 0.5
  if (m.power.thermal === 'serious') s *= 0.3
  else if (m.power.thermal === 'fair') s *= 0.7
  const parts = [
    loaded ? 'loaded' : 'can load',
    `queue ${m.queue}`,
    `${(m.tokPerSec ?? policy.defaultTokPerSec).toFixed(1)} tok/s`,
    `rtt ${rttMs.toFixed(1)} ms`,
    b ? `battery ${b.percent}%${b.charging ? ' charging' : ''}` : 'no battery',
    `thermal ${m.power.thermal}`,
  ]
  return { score: s, why: parts.join(', ') }
}
