// The per-hive ledger: countersigned contribution receipts, one JSON line
// each, deduplicated by receipt hash. Totals per device (tokens, $POCKET at
// the hive's price) and per payout address (what settlement pays).
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { verifyCertificate } from './certificate.ts'
import {
  type SignedContribution,
  verifyContribution,
} from './contributionReceipt.ts'
import type { Hive } from './joinCode.ts'

export type DeviceTotals = {
  device: string
  name: string
  payout: string | null
  receipts: number
  promptTokens: number
  completionTokens: number
  /** wei of $POCKET accrued at the hive's price. */
  owed: bigint
}

export class Ledger {
  readonly #entries = new Map<string, SignedContribution>()
  readonly #file: string | null
  readonly #hive: Hive

  /** `file` = a JSON-lines file (created on first write), or null for memory. */
  constructor(hive: Hive, file: string | null) {
    this.#hive = hive
    this.#file = file
    if (file && existsSync(file))
      for (const line of readFileSync(file, 'utf8').split('\n'))
        if (line.trim()) this.#accept(JSON.parse(line), false)
  }

  /** Adds a countersigned receipt after checking it; false when known or invalid. */
  add(entry: SignedContribution): boolean {
    return this.#accept(entry, true)
  }

  #accept(entry: SignedContribution, persist: boolean): boolean {
    if (this.#entries.has(entry?.hash)) return false
    try {
      verifyContribution(entry, true)
      if (entry.receipt.hive !== this.#hive.id) return false
      verifyCertificate(entry.deviceCert, this.#hive.key.publicKey)
      verifyCertificate(entry.requesterCert, this.#hive.key.publicKey)
    } catch {
      return false
    }
    this.#entries.set(entry.hash, entry)
    if (persist && this.#file) {
      mkdirSync(dirname(this.#file), { recursive: true })
      appendFileSync(this.#file, `${JSON.stringify(entry)}\n`)
    }
    return true
  }

  entries(): SignedContribution[] {
    return [...this.#entries.values()]
  }

  /** wei owed for one receipt: every token (prompt + completion) at the price. */
  amountOf(e: SignedContribution): bigint {
    const tokens = BigInt(e.receipt.promptTokens + e.receipt.completionTokens)
    return (tokens * this.#hive.pricePer1k) / 1000n
  }

  totals(): DeviceTotals[] {
    const by = new Map<string, DeviceTotals>()
    for (const e of this.#entries.values()) {
      const r = e.receipt
      const t = by.get(r.device) ?? {
        device: r.device,
        name: e.deviceCert.name,
        payout: e.deviceCert.payout,
        receipts: 0,
        promptTokens: 0,
        completionTokens: 0,
        owed: 0n,
      }
      t.receipts++
      t.promptTokens += r.promptTokens
      t.completionTokens += r.completionTokens
      t.owed += this.amountOf(e)
      by.set(r.device, t)
    }
    return [...by.values()].sort((a, b) => (a.device < b.device ? -1 : 1))
  }

  /** Cumulative wei per payout address (devices without one are left out). */
  payouts(): Map<string, bigint> {
    const out = new Map<string, bigint>()
    for (const t of this.totals()) {
      if (!t.payout) continue
      const k = t.payout.toLowerCase()
      out.set(k, (out.get(k) ?? 0n) + t.owed)
    }
    return out
  }
}
