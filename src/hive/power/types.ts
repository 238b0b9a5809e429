// What placement needs to know about a device's power: one interface that
// Linux (sysfs), macOS (pmset) and an iOS app (its own readings, sent in its
// status) all fill.
export type ThermalState = 'nominal' | 'fair' | 'serious' | 'critical'

export type PowerState = {
  /** null: no battery (desktop, server). */
  battery: { percent: number; charging: boolean } | null
  thermal: ThermalState
}

export interface PowerReader {
  read(): Promise<PowerState>
}

export const UNKNOWN_POWER: PowerState = { battery: null, thermal: 'nominal' }

/** Thermal state from the hottest sensor in °C (Apple's four levels). */
export function thermalFromCelsius(c: number | null): ThermalState {
  if (c === null) return 'nominal'
  if (c >= 95) return 'critical'
  if (c >= 85) return 'serious'
  if (c >= 75) return 'fair'
  return 'nominal'
}
