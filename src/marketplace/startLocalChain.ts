// A local chain for the marketplace demo and the E2E tests: `hardhat node` as
// a child process on 127.0.0.1, the Ignition deployment on it
// (scripts/chain/deploy.ts), POCKET minted to Hardhat's well-known dev
// accounts and some of them staked, plus time travel. The dev keys are
// derived in memory from the public test mnemonic; nothing is written but
// the deployment file (addresses only).
import { type ChildProcess, spawn } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { createPublicClient, http, parseEther } from 'viem'
import { type HDAccount, mnemonicToAccount } from 'viem/accounts'
import { createClients } from '../../node/clients.ts'
import { deploy, root } from '../../scripts/chain/deploy.ts'
import type { Deployment } from '../chain/deployment.ts'
import type { ChainClients } from '../chain/getContracts.ts'
import { stake } from '../chain/stake.ts'

/** Hardhat's public test mnemonic: for a local dev chain only. */
export const DEV_MNEMONIC =
  'test test test test test test test test test test test junk'

export type StartLocalChainParameters = {
  /** Deployment file to write. */
  out: string
  /** Dev account indexes that stake `stakeAmount` (all get `fund`). */
  stake: number[]
  /** Chain port on 127.0.0.1; default a free one. */
  port?: number
  /** POCKET minted to accounts 1..max(stake); default 10,000. */
  fund?: bigint
  stakeAmount?: bigint
  /** Aborting stops the node and rejects while it is starting. */
  signal?: AbortSignal
  /** Progress lines. */
  onStep?: (line: string) => void
}

export type LocalChain = {
  url: string
  port: number
  /** The hardhat node's process id. */
  pid: number
  deployment: Deployment
  file: string
  account: (i: number) => HDAccount
  clients: (i: number) => ChainClients
  rpc: (method: string, params?: unknown[]) => Promise<unknown>
  /** Moves chain time forward and mines a block. */
  increaseTime: (seconds: number) => Promise<void>
  /** SIGINT to the node, SIGKILL after 5 s; safe to call twice. */
  stop: () => Promise<void>
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

export async function startLocalChain(
  p: StartLocalChainParameters,
): Promise<LocalChain> {
  const port = p.port ?? (await freePort())
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
    { cwd: root, stdio: 'ignore' },
  )
  const exited = new Promise<void>((r) => node.once('exit', () => r()))
  let stopping: Promise<void> | undefined
  const stop = () => {
    stopping ??= (async () => {
      if (node.exitCode !== null || node.signalCode !== null) return
      node.kill('SIGINT')
      const timer = setTimeout(() => node.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    })()
    return stopping
  }
  try {
    const probe = createPublicClient({
      transport: http(url, { retryCount: 0 }),
    })
    for (let i = 0; ; i++) {
      if (p.signal?.aborted) throw new Error('chain start aborted')
      try {
        await probe.getChainId()
        break
      } catch (e) {
        if (i > 300 || node.exitCode !== null) throw e
        await new Promise((r) => setTimeout(r, 200))
      }
    }
    p.onStep?.(`chain up at ${url} (hardhat node, pid ${node.pid})`)
    // a journal of our own, so a concurrent deploy on another local chain
    // (tests, `npm run chain`) does not share Ignition's chain-31337 one
    const deploymentId = `pocket-start-${port}`
    const { deployment, token, connection } = await deploy({
      network: 'localhost',
      url,
      out: p.out,
      deploymentId,
    })
    await rm(join(root, 'ignition', 'deployments', deploymentId), {
      recursive: true,
      force: true,
    })
    if (p.signal?.aborted) throw new Error('chain start aborted')
    const publicClient = await connection.viem.getPublicClient()
    const account = (i: number) =>
      mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i })
    const clients = (i: number): ChainClients =>
      createClients({
        rpcUrl: url,
        chainId: deployment.chainId,
        account: account(i),
        pollingInterval: 100,
      })
    const funded = Math.max(...p.stake, 2)
    for (let i = 1; i <= funded; i++) {
      const hash = await token.write.mint(
        [account(i).address, p.fund ?? parseEther('10000')],
        { chain: null },
      )
      await publicClient.waitForTransactionReceipt({ hash })
    }
    for (const i of p.stake)
      await stake(clients(i), {
        addresses: deployment.addresses,
        amount: p.stakeAmount ?? parseEther('1000'),
      })
    await connection.close?.()
    const rpc = (method: string, params: unknown[] = []) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      }).then((r) => r.json())
    return {
      url,
      port,
      pid: node.pid ?? -1,
      deployment,
      file: p.out,
      account,
      clients,
      rpc,
      async increaseTime(seconds: number) {
        await rpc('evm_increaseTime', [seconds])
        await rpc('evm_mine')
      },
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}
