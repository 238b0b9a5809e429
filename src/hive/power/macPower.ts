// macOS power state from `pmset -g batt` (percent, discharging) and
// `pmset -g therm` (CPU speed limit and thermal warning level). The parsers
// are pure so tests run them on recorded output anywhere.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import type { PowerReader, PowerState, ThermalState } from './types.ts'

const run = promisify(execFile)

export function parsePmsetBatt(out: string): PowerState['battery'] {
  const m = out.match(/(\d+)%;\s*([a-zA-Z ]+);/)
  if (!m) return null
  const status = (m[2] ?? '').trim().toLowerCase()
  const onAc = /AC Power/.test(out)
  return {
    percent: Number(m[1]),
    charging: onAc || status !== 'discharging',
  }
}

export function parsePmsetTherm(out: string): ThermalState {
  const limit = out.match(/CPU_Speed_Limit\s*=\s*(\d+)/)
  const level = out.match(/thermal warning level (?:set to|of)\s*(\d+)/i)
  const speed = limit ? Number(limit[1]) : 100
  const warning = level ? Number(level[1]) : 0
  if (speed < 50 || warning >= 3) return 'critical'
  if (speed < 80 || warning >= 2) return 'serious'
  if (speed < 100 || warning >= 1) return 'fair'
  return 'nominal'
}

export class MacPowerReader implements PowerReader {
  async read(): Promise<PowerState> {
    const opts = { timeout: 2_000 }
    const [batt, therm] = await Promise.all([
      run('pmset', ['-g', 'batt'], opts).then(
        (r) => r.stdout,
        () => '',
      ),
      run('pmset', ['-g', 'therm'], opts).then(
        (r) => r.stdout,
        () => '',
      ),
    ])
    return { battery: parsePmsetBatt(batt), thermal: parsePmsetTherm(therm) }
  }
}
