// Bid policy: bid only on tasks for a model we hold, at or above our price
// floor, while our queue is short and the device is fit: no bids on low
// battery (discharging below a floor) or thermal pressure, where the OS
// reports them (/sys/class/power_supply, /sys/class/thermal on Linux).
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export type PowerState = {
  /** Battery percent when a battery is present. */
  batteryPercent?: number
  discharging?: boolean
  /** Hottest thermal zone, degrees Celsius. */
  maxTempC?: number
}

export type BidPolicy = {
  priceFloor: bigint
  maxQueue: number
  minBatteryPercent: number
  maxTempC: number
}

export const defaultBidPolicy: BidPolicy = {
  priceFloor: 10n ** 18n,
  maxQueue: 2,
  minBatteryPercent: 30,
  maxTempC: 85,
}

export type BidDecision =
  | { bid: true; price: bigint }
  | { bid: false; reason: string }

export type ShouldBidParameters = {
  policy: BidPolicy
  maxPrice: bigint
  holdsModel: boolean
  queueLength: number
  power: PowerState
}

export function shouldBid(p: ShouldBidParameters): BidDecision {
  const { policy, power } = p
  if (!p.holdsModel) return { bid: false, reason: 'model not held' }
  if (p.maxPrice < policy.priceFloor)
    return { bid: false, reason: 'below price floor' }
  if (p.queueLength >= policy.maxQueue)
    return { bid: false, reason: 'queue full' }
  if (
    power.batteryPercent !== undefined &&
    power.discharging &&
    power.batteryPercent < policy.minBatteryPercent
  )
    return { bid: false, reason: `battery at ${power.batteryPercent}%` }
  if (power.maxTempC !== undefined && power.maxTempC >= policy.maxTempC)
    return { bid: false, reason: `thermal pressure (${power.maxTempC} C)` }
  return { bid: true, price: policy.priceFloor }
}

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8').trim()
  } catch {
    return undefined
  }
}

/** Reads battery and thermal state from sysfs (`root` for tests); {} elsewhere. */
export function readPowerState(root = '/sys/class'): PowerState {
  const state: PowerState = {}
  const list = (dir: string) => {
    try {
      return readdirSync(dir)
    } catch {
      return []
    }
  }
  for (const name of list(join(root, 'power_supply'))) {
    const dir = join(root, 'power_supply', name)
    if (read(join(dir, 'type')) !== 'Battery') continue
    const capacity = Number(read(join(dir, 'capacity')))
    if (Number.isFinite(capacity)) state.batteryPercent = capacity
    state.discharging = read(join(dir, 'status')) === 'Discharging'
  }
  for (const name of list(join(root, 'thermal'))) {
    if (!name.startsWith('thermal_zone')) continue
    const milli = Number(read(join(root, 'thermal', name, 'temp')))
    if (Number.isFinite(milli) && milli > 0)
      state.maxTempC = Math.max(state.maxTempC ?? 0, milli / 1000)
  }
  return state
}
