// `pocket node start|stake|unstake|keystore create|import`: the node
// operator daemon (node/daemon.ts) and its key and stake management.
import type { Command } from 'commander'
import { parseEther } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { NodeDaemon } from '../../../node/daemon.ts'
import {
  encryptKey,
  keystorePassword,
  writeKeystore,
} from '../../../node/keystore.ts'
import { enforceOffline } from '../../../node/offline.ts'
import { type OpenNodeFlags, openNode } from '../../../node/openNode.ts'
import { readDeployment } from '../../chain/deployment.ts'
import { requestUnbond } from '../../chain/requestUnbond.ts'
import { stake } from '../../chain/stake.ts'
import { registerNodeLog } from './nodeLog.ts'

type Flags = OpenNodeFlags & {
  priceFloor: string
  maxQueue: string
  poll: string
  offline?: boolean
  peer?: string[]
}
const collect = (v: string, prev: string[] = []) => [...prev, v]

function common(cmd: Command): Command {
  return cmd
    .option('--deployment <file>', 'deployment file', 'deployments/local.json')
    .option(
      '--keystore <file>',
      'encrypted keystore (password: POCKET_KEYSTORE_PASSWORD or prompt)',
      'node.keystore.json',
    )
    .option('--rpc <url>', 'JSON-RPC URL (default: the deployment file)')
}

export function registerNode(program: Command): void {
  const node = program
    .command('node')
    .description(
      'Run a marketplace node: bid, run tasks in verified mode, commit receipts, claim',
    )
  common(node.command('start').description('Start the node daemon'))
    .option(
      '-m, --model <path>',
      'model file or folder to serve (repeatable)',
      collect,
    )
    .option('--price-floor <pocket>', 'minimum price to bid (POCKET)', '1')
    .option('--max-queue <n>', 'no bids while this many tasks are queued', '2')
    .option('--db <file>', 'state database (SQLite)')
    .option('--poll <ms>', 'chain poll interval', '1000')
    .option(
      '--offline',
      'local-only: connect to the RPC endpoint and --peer URLs, nothing else',
    )
    .option(
      '--peer <url>',
      'a peer the node may reach when --offline (payload relay, hive member; repeatable)',
      collect,
    )
    .action(async (flags: Flags) => {
      if (flags.offline) {
        const { rpcUrl } = await readDeployment({ path: flags.deployment })
        const guard = enforceOffline({
          allow: [flags.rpc ?? rpcUrl, ...(flags.peer ?? [])],
          onBlocked: (a) =>
            console.log(`offline: blocked a connection to ${a.host}:${a.port}`),
        })
        console.log(`offline: only ${guard.allowed.join(', ')}`)
      }
      const { clients, deployment, store, models, account } =
        await openNode(flags)
      const fault = process.env.POCKET_FAULT
      const daemon = new NodeDaemon({
        clients,
        deployment,
        store,
        models,
        policy: {
          priceFloor: parseEther(flags.priceFloor),
          maxQueue: Number(flags.maxQueue),
        },
        pollMs: Number(flags.poll),
        log: (m) => console.log(`${new Date().toISOString()} ${m}`),
        onFault: fault
          ? (p) => p === fault && process.kill(process.pid, 'SIGKILL')
          : undefined,
      })
      console.log(
        `node ${account.address} serving ${models.digests.join(', ') || 'no models'}`,
      )
      daemon.start()
      const stop = async () => {
        await daemon.stop()
        store.close()
        await models.dispose()
        process.exit(0)
      }
      process.on('SIGINT', stop)
      process.on('SIGTERM', stop)
    })
  common(
    node
      .command('stake')
      .description('Stake POCKET')
      .argument('<amount>', 'POCKET'),
  ).action(async (amount: string, flags: OpenNodeFlags) => {
    const { clients, deployment } = await openNode(flags)
    const { hash } = await stake(clients, {
      addresses: deployment.addresses,
      amount: parseEther(amount),
    })
    console.log(`staked ${amount} POCKET (${hash})`)
  })
  common(
    node
      .command('unstake')
      .description(
        'Start unbonding POCKET (withdraw after the unbonding period)',
      )
      .argument('<amount>', 'POCKET'),
  ).action(async (amount: string, flags: OpenNodeFlags) => {
    const { clients, deployment } = await openNode(flags)
    const { hash } = await requestUnbond(clients, {
      addresses: deployment.addresses,
      amount: parseEther(amount),
    })
    console.log(`unbonding ${amount} POCKET (${hash})`)
  })
  registerNodeLog(node)
  const ks = node
    .command('keystore')
    .description('Create or import the node key (scrypt + AES-256-GCM)')
  for (const [name, desc] of [
    ['create', 'Generate a new key into an encrypted keystore'],
    [
      'import',
      'Encrypt an existing private key (read from POCKET_PRIVATE_KEY)',
    ],
  ] as const)
    ks.command(name)
      .description(desc)
      .option('-o, --out <file>', 'keystore file', 'node.keystore.json')
      .action(async (flags: { out: string }) => {
        const key =
          name === 'create'
            ? generatePrivateKey()
            : (process.env.POCKET_PRIVATE_KEY as `0x${string}` | undefined)
        if (!key) throw new Error('set POCKET_PRIVATE_KEY to the key to import')
        const file = encryptKey(
          key,
          await keystorePassword('New keystore password: '),
        )
        await writeKeystore(flags.out, file)
        console.log(`${file.address} -> ${flags.out}`)
      })
}
