// The reader for this platform: POCKET_HIVE_SYSFS (a fake sysfs root, for
// tests and containers) or /sys on Linux, pmset on macOS, else "unknown".
import { LinuxPowerReader } from './linuxPower.ts'
import { MacPowerReader } from './macPower.ts'
import { type PowerReader, UNKNOWN_POWER } from './types.ts'

export function powerReader(env = process.env): PowerReader {
  if (env.POCKET_HIVE_SYSFS) return new LinuxPowerReader(env.POCKET_HIVE_SYSFS)
  if (process.platform === 'linux') return new LinuxPowerReader('/sys')
  if (process.platform === 'darwin') return new MacPowerReader()
  return { read: async () => UNKNOWN_POWER }
}
