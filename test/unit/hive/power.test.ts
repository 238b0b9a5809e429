// Power readers on fake sysfs trees and recorded pmset output, and how the
// routing score reacts to battery and heat.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { LinuxPowerReader } from '../../../src/hive/power/linuxPower.ts'
import {
  parsePmsetBatt,
  parsePmsetTherm,
} from '../../../src/hive/power/macPower.ts'
import { type MemberLoad, scoreMember } from '../../../src/hive/score.ts'

const roots: string[] = []
afterAll(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true })
})

async function fakeSysfs(p: {
  battery?: { capacity: number; status: string }
  mains?: boolean
  tempsMilli?: number[]
}): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'pocket-sysfs-'))
  roots.push(root)
  const ps = join(root, 'class', 'power_supply')
  if (p.battery) {
    await mkdir(join(ps, 'BAT0'), { recursive: true })
    await writeFile(join(ps, 'BAT0', 'type'), 'Battery\n')
    await writeFile(join(ps, 'BAT0', 'capacity'), `${p.battery.capacity}\n`)
    await writeFile(join(ps, 'BAT0', 'status'), `${p.battery.status}\n`)
  }
  if (p.mains !== undefined) {
    await mkdir(join(ps, 'AC'), { recursive: true })
    await writeFile(join(ps, 'AC', 'type'), 'Mains\n')
    await writeFile(join(ps, 'AC', 'online'), p.mains ? '1\n' : '0\n')
  }
  for (const [i, t] of (p.tempsMilli ?? []).entries()) {
    await mkdir(join(root, 'class', 'thermal', `thermal_zone${i}`), {
      recursive: true,
    })
    await writeFile(
      join(root, 'class', 'thermal', `thermal_zone${i}`, 'temp'),
      `${t}\n`,
    )
  }
  return root
}

describe('LinuxPowerReader', () => {
  test('battery, mains and the hottest zone', async () => {
    const root = await fakeSysfs({
      battery: { capacity: 15, status: 'Discharging' },
      tempsMilli: [41000, 88500],
    })
    expect(await new LinuxPowerReader(root).read()).toEqual({
      battery: { percent: 15, charging: false },
      thermal: 'serious',
    })
    const plugged = await fakeSysfs({
      battery: { capacity: 15, status: 'Not charging' },
      mains: true,
      tempsMilli: [50000],
    })
    expect(await new LinuxPowerReader(plugged).read()).toEqual({
      battery: { percent: 15, charging: true },
      thermal: 'nominal',
    })
  })
  test('a desktop without battery or sensors', async () => {
    const root = await fakeSysfs({})
    expect(await new LinuxPowerReader(root).read()).toEqual({
      battery: null,
      thermal: 'nominal',
    })
  })
})

describe('pmset parsers', () => {
  test('battery lines', () => {
    expect(
      parsePmsetBatt(
        "Now drawing from 'Battery Power'\n -InternalBattery-0 (id=4653155)\t12%; discharging; 0:40 remaining present: true\n",
      ),
    ).toEqual({ percent: 12, charging: false })
    expect(
      parsePmsetBatt(
        "Now drawing from 'AC Power'\n -InternalBattery-0 (id=4653155)\t80%; charging; 1:02 remaining present: true\n",
      ),
    ).toEqual({ percent: 80, charging: true })
    expect(parsePmsetBatt("Now drawing from 'AC Power'\n")).toBeNull()
  })
  test('thermal levels', () => {
    expect(
      parsePmsetTherm('Note: No thermal warning level has been recorded\n'),
    ).toBe('nominal')
    expect(
      parsePmsetTherm(
        'CPU_Scheduler_Limit \t= 100\nCPU_Available_CPUs \t= 8\nCPU_Speed_Limit \t= 70\n',
      ),
    ).toBe('serious')
    expect(parsePmsetTherm('CPU_Speed_Limit \t= 40\n')).toBe('critical')
  })
})

describe('scoreMember', () => {
  const base: MemberLoad = {
    loaded: ['m'],
    available: ['m'],
    queue: 0,
    tokPerSec: 50,
    power: { battery: null, thermal: 'nominal' },
  }
  test('skips a member discharging below the floor or critically hot', () => {
    expect(
      scoreMember(
        {
          ...base,
          power: {
            battery: { percent: 10, charging: false },
            thermal: 'nominal',
          },
        },
        'm',
        1,
      ).score,
    ).toBeNull()
    expect(
      scoreMember(
        {
          ...base,
          power: {
            battery: { percent: 10, charging: true },
            thermal: 'nominal',
          },
        },
        'm',
        1,
      ).score,
    ).not.toBeNull()
    expect(
      scoreMember(
        { ...base, power: { battery: null, thermal: 'critical' } },
        'm',
        1,
      ).score,
    ).toBeNull()
    expect(scoreMember(base, 'other', 1).score).toBeNull()
  })
  test('orders by speed, queue, load state, round trip and heat', () => {
    const s = (m: Partial<MemberLoad>, rtt = 1) =>
      scoreMember({ ...base, ...m }, 'm', rtt).score as number
    expect(s({})).toBeGreaterThan(s({ queue: 2 }))
    expect(s({})).toBeGreaterThan(s({ loaded: [] }))
    expect(s({})).toBeGreaterThan(s({}, 40))
    expect(s({})).toBeGreaterThan(
      s({ power: { battery: null, thermal: 'fair' } }),
    )
    expect(s({ power: { battery: null, thermal: 'fair' } })).toBeGreaterThan(
      s({ power: { battery: null, thermal: 'serious' } }),
    )
    expect(s({ tokPerSec: 80 })).toBeGreaterThan(s({ tokPerSec: 40 }))
  })
})
