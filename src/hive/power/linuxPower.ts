// Linux power state from sysfs: batteries under class/power_supply
// (type "Battery": capacity, status) and the hottest thermal zone under
// class/thermal (millidegrees). `root` defaults to /sys; tests pass a fake
// tree.
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  type PowerReader,
  type PowerState,
  thermalFromCelsius,
} from './types.ts'

async function text(path: string): Promise<string | null> {
  try {
    return (await readFile(path, 'utf8')).trim()
  } catch {
    return null
  }
}

async function list(dir: string): Promise<string[]> {
  try {
    return await readdir(dir)
  } catch {
    return []
  }
}

export class LinuxPowerReader implements PowerReader {
  readonly root: string
  constructor(root = '/sys') {
    this.root = root
  }

  async read(): Promise<PowerState> {
    const supplies = join(this.root, 'class', 'power_supply')
    let battery: PowerState['battery'] = null
    let mains = false
    for (const name of await list(supplies)) {
      const type = await text(join(supplies, name, 'type'))
      if (type === 'Mains' || type === 'USB')
        mains ||= (await text(join(supplies, name, 'online'))) === '1'
      if (type !== 'Battery' || battery) continue
      const capacity = Number(await text(join(supplies, name, 'capacity')))
      const status = (await text(join(supplies, name, 'status'))) ?? ''
      if (!Number.isFinite(capacity)) continue
      battery = {
        percent: Math.max(0, Math.min(100, capacity)),
        charging: status !== 'Discharging',
      }
    }
    // "Not charging"/"Unknown" with mains online still means plugged in.
    if (battery && mains) battery.charging = true
    const zones = join(this.root, 'class', 'thermal')
    let hottest: number | null = null
    for (const name of await list(zones)) {
      if (!name.startsWith('thermal_zone')) continue
      const milli = Number(await text(join(zones, name, 'temp')))
      if (Number.isFinite(milli) && milli > 0)
        hottest = Math.max(hottest ?? 0, milli / 1000)
    }
    return { battery, thermal: thermalFromCelsius(hottest) }
  }
}
