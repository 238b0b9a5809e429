// `pocket audit start`: sample committed tasks, verify receipts at prefill
// cost, challenge failures, resolve, and serve as a juror (node/auditor.ts).
import type { Command } from 'commander'
import { Auditor } from '../../../node/auditor.ts'
import { type OpenNodeFlags, openNode } from '../../../node/openNode.ts'

export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description('Audit committed marketplace tasks')
    .command('start')
    .description(
      'Start the auditor (needs a staked key and the models to check)',
    )
    .option('--deployment <file>', 'deployment file', 'deployments/local.json')
    .option('--keystore <file>', 'auditor keystore', 'node.keystore.json')
    .option('--rpc <url>', 'JSON-RPC URL')
    .option(
      '-m, --model <path>',
      'model file or folder (repeatable)',
      (v: string, p: string[] = []) => [...p, v],
    )
    .option('--sample <rate>', 'fraction of tasks audited', '0.1')
    .option('--db <file>', 'state database (SQLite)')
    .option(
      '--relay <url>',
      'announce our encryption key on this payload relay, so requesters can grant us private tasks (repeatable)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .action(async (f: OpenNodeFlags & { sample: string; relay?: string[] }) => {
      const { clients, deployment, store, models, account } = await openNode(
        f,
        'auditor',
      )
      const auditor = new Auditor({
        clients,
        deployment,
        relays: f.relay,
        store,
        models,
        sampleRate: Number(f.sample),
        pollMs: 1000,
        log: (m) => console.log(`${new Date().toISOString()} ${m}`),
      })
      console.log(`auditor ${account.address}, sampling ${f.sample} of tasks`)
      auditor.start()
      const stop = async () => {
        await auditor.stop()
        store.close()
        await models.dispose()
        process.exit(0)
      }
      process.on('SIGINT', stop)
      process.on('SIGTERM', stop)
    })
}
