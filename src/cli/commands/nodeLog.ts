// `pocket node log show|verify`: prints or checks the node daemon's signed,
// hash-chained operation log (node/opLog.ts) in its state database.
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import type { Command } from 'commander'
import type { Address } from 'viem'
import { defaultHome } from '../../../node/openNode.ts'
import { readOpLog, verifyOpLog } from '../../../node/opLog.ts'
import { UsageError } from '../errors.ts'

type Flags = { db?: string; address?: string }

/** The DB named by --db, else the only node-*.db under POCKET_HOME. */
function stateDb(flags: Flags): string {
  if (flags.db) {
    if (!existsSync(flags.db))
      throw new UsageError(`No state database at ${flags.db}.`)
    return flags.db
  }
  const home = defaultHome()
  const found = existsSync(home)
    ? readdirSync(home).filter((f) => /^node-0x[0-9a-f]{40}\.db$/.test(f))
    : []
  if (found.length !== 1)
    throw new UsageError(
      found.length
        ? `Several node databases in ${home}; pick one with --db.`
        : `No node database in ${home}; pass --db <file>.`,
    )
  return join(home, found[0] as string)
}

function open(flags: Flags) {
  return new DatabaseSync(stateDb(flags), { readOnly: true })
}

export function registerNodeLog(node: Command): void {
  const log = node
    .command('log')
    .description("The node's signed, hash-chained operation log")
  log
    .command('show')
    .description(
      'Print every entry (bid, run, commit, finalize, claim, reveal)',
    )
    .option('--db <file>', 'node state database')
    .action((flags: Flags) => {
      const db = open(flags)
      for (const e of readOpLog(db))
        console.log(
          `#${e.seq} ${new Date(e.ts).toISOString()} ${e.kind} task ${e.taskId} ${JSON.stringify(e.data)} ${e.hash.slice(0, 10)}`,
        )
      db.close()
    })
  log
    .command('verify')
    .description(
      'Check sequence, hash links and signatures; exit 1 on a removed or edited entry',
    )
    .option('--db <file>', 'node state database')
    .option(
      '--address <address>',
      'the node address every entry must be signed by',
    )
    .action(async (flags: Flags) => {
      if (flags.address && !/^0x[0-9a-fA-F]{40}$/.test(flags.address))
        throw new UsageError('--address must be a 0x address.')
      const db = open(flags)
      const r = await verifyOpLog(readOpLog(db), flags.address as Address)
      db.close()
      if (r.ok) {
        console.log(
          `op log ok: ${r.entries} entries signed by ${r.signer ?? '-'}, head ${r.head ?? '-'}`,
        )
        return
      }
      console.log(`op log BROKEN (${r.problems.length} problems):`)
      for (const p of r.problems) console.log(`  #${p.seq}: ${p.problem}`)
      process.exitCode = 1
    })
}
