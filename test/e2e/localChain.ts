// E2E harness: a `hardhat node` on a free 127.0.0.1 port, the Ignition
// deployment on it (scripts/chain/deploy.ts), funded and staked accounts
// from the default Hardhat mnemonic, and time travel.
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { createPublicClient, http, parseEther } from 'viem'
import { mnemonicToAccount } from 'viem/accounts'
import { deploy, root } from '../../scripts/chain/deploy.ts'
import type { ChainClients } from '../../src/chain/getContracts.ts'
import { stake } from '../../src/chain/stake.ts'
import { createClients } from '../../node/clients.ts'

const MNEMONIC = 'test test test test test test test test test test test junk'

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

export async function startLocalChain(out: string, staked: number[]) {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const cli = join(
    createRequire(import.meta.url).resolve('hardhat/package.json'),
    '..',
    'dist',
    'src',
    'cli.js',
  )
  const node: ChildProcess = spawn(
    process.execPath,
    [cli, 'node', '--hostname', '127.0.0.1', '--port', String(port)],
    {
      cwd: root,
      stdio: 'ignore',
    },
  )
  const probe = createPublicClient({ transport: http(url, { retryCount: 0 }) })
  for (let i = 0; ; i++) {
    try {
      await probe.getChainId()
      break
    } catch (e) {
      if (i > 300 || node.exitCode !== null) throw e
      await new Promise((r) => setTimeout(r, 200))
    }
  }
  const { deployment, token, connection } = await deploy({
    network: 'localhost',
    url,
    out,
  })
  const publicClient = await connection.viem.getPublicClient()
  const account = (i: number) =>
    mnemonicToAccount(MNEMONIC, { addressIndex: i })
  const clients = (i: number): ChainClients =>
    createClients({
      rpcUrl: url,
      chainId: deployment.chainId,
      account: account(i),
      pollingInterval: 100,
    })
  for (let i = 1; i <= Math.max(...staked, 2); i++) {
    const hash = await token.write.mint(
      [account(i).address, parseEther('10000')],
      { chain: null },
    )
    await publicClient.waitForTransactionReceipt({ hash })
  }
  for (const i of staked)
    await stake(clients(i), {
      addresses: deployment.addresses,
      amount: parseEther('1000'),
    })
  const rpc = (method: string, params: unknown[] = []) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    }).then((r) => r.json())
  return {
    url,
    deployment,
    clients,
    account,
    /** Moves chain time forward and mines a block. */
    async increaseTime(seconds: number) {
      await rpc('evm_increaseTime', [seconds])
      await rpc('evm_mine')
    },
    rpc,
    async stop() {
      await connection.close?.()
      if (node.exitCode === null) node.kill('SIGINT')
    },
  }
}
