// Node pieces that need no chain: keystore, bid policy, store idempotency, retry.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generatePrivateKey } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { decryptKey, encryptKey } from '../../../node/keystore.ts'
import {
  defaultBidPolicy,
  readPowerState,
  shouldBid,
} from '../../../node/policy.ts'
import { withRetry } from '../../../node/rpc.ts'
import { NodeStore } from '../../../node/store.ts'

describe('node', () => {
  it('keystore never stores the key in clear and rejects a wrong password', () => {
    const key = generatePrivateKey()
    const file = encryptKey(key, 'pw', { n: 2 ** 10 })
    expect(JSON.stringify(file)).not.toContain(key.slice(2))
    expect(decryptKey(file, 'pw')).toBe(key)
    expect(() => decryptKey(file, 'nope')).toThrow(/Wrong keystore password/)
    expect(() =>
      decryptKey(
        {
          ...file,
          ciphertext: `${file.ciphertext.slice(0, -2)}00` as `0x${string}`,
        },
        'pw',
      ),
    ).toThrow()
  })

  it('bids only when the model is held, the price fits and the device is fit', () => {
    const base = {
      policy: defaultBidPolicy,
      maxPrice: 2n * 10n ** 18n,
      holdsModel: true,
      queueLength: 0,
      power: {},
    }
    expect(shouldBid(base)).toEqual({
      bid: true,
      price: defaultBidPolicy.priceFloor,
    })
    expect(shouldBid({ ...base, holdsModel: false }).bid).toBe(false)
    expect(shouldBid({ ...base, maxPrice: 1n }).bid).toBe(false)
    expect(shouldBid({ ...base, queueLength: 2 }).bid).toBe(false)
    expect(
      shouldBid({ ...base, power: { batteryPercent: 10, discharging: true } })
        .bid,
    ).toBe(false)
    expect(
      shouldBid({ ...base, power: { batteryPercent: 10, discharging: false } })
        .bid,
    ).toBe(true)
    expect(shouldBid({ ...base, power: { maxTempC: 95 } }).bid).toBe(false)
  })

  it('reads battery and thermal state from a sysfs tree', () => {
    const root = mkdtempSync(join(tmpdir(), 'sys-'))
    mkdirSync(join(root, 'power_supply', 'BAT0'), { recursive: true })
    writeFileSync(join(root, 'power_supply', 'BAT0', 'type'), 'Battery\n')
    writeFileSync(join(root, 'power_supply', 'BAT0', 'capacity'), '17\n')
    writeFileSync(join(root, 'power_supply', 'BAT0', 'status'), 'Discharging\n')
    mkdirSync(join(root, 'thermal', 'thermal_zone0'), { recursive: true })
    writeFileSync(join(root, 'thermal', 'thermal_zone0', 'temp'), '91000\n')
    expect(readPowerState(root)).toEqual({
      batteryPercent: 17,
      discharging: true,
      maxTempC: 91,
    })
    expect(readPowerState(join(root, 'missing'))).toEqual({})
  })

  it('store keeps the first result and re-seen tasks are no-ops', () => {
    const store = new NodeStore(
      join(mkdtempSync(join(tmpdir(), 'store-')), 'n.db'),
    )
    expect(store.addTask(1n, { taskId: 1n }, 5)).toBe(true)
    expect(store.addTask(1n, { taskId: 1n }, 5)).toBe(false)
    store.saveResult(1n, {
      output: '0x01',
      receiptHash: '0xaa',
      outputHash: '0xbb',
    })
    store.saveResult(1n, {
      output: '0x02',
      receiptHash: '0xcc',
      outputHash: '0xdd',
    })
    expect(store.commit(1n)?.output).toBe('0x01')
    store.close()
    store.close()
  })

  it('retries transient failures and not reverts', async () => {
    let n = 0
    expect(
      await withRetry(
        'x',
        async () =>
          ++n < 3 ? Promise.reject(new Error('socket hang up')) : 'ok',
        { baseMs: 1 },
      ),
    ).toBe('ok')
    let m = 0
    await expect(
      withRetry(
        'y',
        async () => {
          m++
          throw new Error('execution reverted')
        },
        { baseMs: 1 },
      ),
    ).rejects.toThrow()
    expect(m).toBe(1)
  })
})
