// The node's operation log: a hash chain of signed entries in the state DB.
// `pocket node log verify` passes on an untouched log and fails (exit 1,
// naming the entry) when an entry is removed, edited, or edited and
// re-hashed without the node's key.
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { keccak256, toHex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  hashOpEntry,
  OpLog,
  readOpLog,
  verifyOpLog,
} from '../../../node/opLog.ts'
import { NodeStore } from '../../../node/store.ts'

const dir = mkdtempSync(join(tmpdir(), 'pocket-oplog-'))
const node = privateKeyToAccount(keccak256(toHex('oplog test node')))
const other = privateKeyToAccount(keccak256(toHex('someone else')))
const original = join(dir, 'node.db')

function pocket(...args: string[]) {
  const r = spawnSync(
    process.execPath,
    [join(import.meta.dirname, '../../../bin/pocket.js'), ...args],
    { encoding: 'utf8' },
  )
  return { status: r.status, out: `${r.stdout}${r.stderr}` }
}

/** A copy of the log with `edit` applied to its SQLite file. */
function tampered(name: string, edit: (db: DatabaseSync) => void) {
  const file = join(dir, `${name}.db`)
  copyFileSync(original, file)
  const db = new DatabaseSync(file)
  edit(db)
  db.close()
  return file
}

beforeAll(async () => {
  const store = new NodeStore(original)
  const log = new OpLog(store.db, node)
  // concurrent appends still form one chain
  await Promise.all([
    log.append('bid', 1n, { price: 10n ** 18n, tx: '0xaa' }),
    log.append('bid', 2n, { price: 2n * 10n ** 18n, tx: '0xab' }),
  ])
  await log.append('run', 1n, { receiptHash: '0x01', tokens: 12 })
  await log.append('commit', 1n, { tx: '0xbb' })
  await log.append('finalize', 1n, { tx: '0xcc' })
  await log.append('claim', 1n, { tx: '0xdd', amount: 10n ** 18n })
  store.db.exec('pragma wal_checkpoint(truncate)')
  store.close()
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('node operation log', () => {
  it('chains every entry to the previous one and verifies', async () => {
    const db = new DatabaseSync(original)
    const entries = readOpLog(db)
    db.close()
    expect(entries.map((e) => e.kind)).toEqual([
      'bid',
      'bid',
      'run',
      'commit',
      'finalize',
      'claim',
    ])
    for (let i = 1; i < entries.length; i++)
      expect(entries[i]?.prev).toBe(entries[i - 1]?.hash)
    const r = await verifyOpLog(entries, node.address)
    expect(r).toMatchObject({ ok: true, entries: 6, problems: [] })
    // pinned to another signer, the same log fails
    expect((await verifyOpLog(entries, other.address)).ok).toBe(false)
    const cli = pocket(
      'node',
      'log',
      'verify',
      '--db',
      original,
      '--address',
      node.address,
    )
    expect(cli.out).toContain(`op log ok: 6 entries signed by ${node.address}`)
    expect(cli.status).toBe(0)
  })

  it('detects a removed entry', () => {
    const file = tampered('removed', (db) =>
      db.exec("delete from oplog where kind = 'commit'"),
    )
    const cli = pocket('node', 'log', 'verify', '--db', file)
    expect(cli.status).toBe(1)
    expect(cli.out).toMatch(/#5: expected entry 4: 1 entry removed/)
    expect(cli.out).toMatch(/#5: previous-hash link broken/)
  })

  it('detects an edited entry, re-hashed or not', () => {
    const edited = tampered('edited', (db) =>
      db.exec(
        `update oplog set data = '{"tx":"0xdd","amount":"9000000000000000000"}' where kind = 'claim'`,
      ),
    )
    let cli = pocket('node', 'log', 'verify', '--db', edited)
    expect(cli.status).toBe(1)
    expect(cli.out).toMatch(/#6: entry edited/)
    // an editor who recomputes the hash still cannot sign it as the node
    const rehashed = tampered('rehashed', (db) => {
      const [e] = readOpLog(db).filter((x) => x.kind === 'run')
      if (!e) throw new Error('no run entry')
      const data = { ...e.data, tokens: '3' }
      db.prepare('update oplog set data = ?, hash = ? where seq = ?').run(
        JSON.stringify(data),
        hashOpEntry({ ...e, data }),
        e.seq,
      )
    })
    cli = pocket('node', 'log', 'verify', '--db', rehashed)
    expect(cli.status).toBe(1)
    expect(cli.out).toMatch(/#3: signature is not/)
    expect(cli.out).toMatch(/#4: previous-hash link broken/)
  })

  it('refuses a missing database with one usage line', () => {
    const cli = pocket('node', 'log', 'verify', '--db', join(dir, 'none.db'))
    expect(cli.status).not.toBe(0)
    expect(cli.out).toMatch(/No state database at/)
  })
})
