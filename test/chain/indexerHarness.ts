// Harness for the indexer and scheduler chain tests and the indexer
// benchmark: a `hardhat node` on a free 127.0.0.1 port deployed and funded by
// scripts/chain/start.ts, clients for the funded Hardhat accounts, chain time
// and block helpers, and a polling wait with a bounded timeout.
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  http,
  type PublicClient,
} from 'viem'
import { mnemonicToAccount } from 'viem/accounts'
import { hardhat } from 'viem/chains'
import { readDeployment } from '../../src/chain/deployment.ts'
import type { ChainClients } from '../../src/chain/getContracts.ts'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const MNEMONIC = 'test test test test test test test test test test test junk'

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      )
    })
  })
}

/** Starts `hardhat node` + deploy + fund (npm run chain) writing dir/local.json. */
export async function startLocalChain(dir: string) {
  const port = await freePort()
  const file = join(dir, 'local.json')
  const child = spawn(
    process.execPath,
    [
      join(root, 'scripts', 'chain', 'start.ts'),
      '--port',
      String(port),
      '--out',
      file,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString()
  })
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString()
  })
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  await waitFor(
    async () => {
      if (child.exitCode !== null) {
        throw new Error(`chain exited (${child.exitCode}):\n${output}`)
      }
      return output.includes('Press Ctrl-C')
    },
    { timeoutMs: 120_000, intervalMs: 200, what: 'local chain' },
  )
  const deployment = await readDeployment({ path: file })
  const url = deployment.rpcUrl
  const publicClient = createPublicClient({
    chain: hardhat,
    transport: http(url, { retryCount: 0 }),
  }) as PublicClient
  const test = createTestClient({
    chain: hardhat,
    mode: 'hardhat',
    transport: http(url),
  })
  const evmMine = () =>
    test.request({ method: 'evm_mine' } as never) as Promise<unknown>
  const clients = (index: number): ChainClients => ({
    public: publicClient,
    wallet: createWalletClient({
      chain: hardhat,
      account: mnemonicToAccount(MNEMONIC, { addressIndex: index }),
      transport: http(url),
    }) as ChainClients['wallet'],
  })
  return {
    url,
    file,
    deployment,
    addresses: deployment.addresses,
    publicClient,
    clients,
    /** Chain time: the latest block's timestamp. */
    async now() {
      return (await publicClient.getBlock()).timestamp
    },
    async increaseTime(seconds: number) {
      await test.increaseTime({ seconds })
      await evmMine()
    },
    /** Mines blocks one by one: hardhat_mine's batched blocks report a zero
     * parent hash that Ponder's reorg check cannot follow. */
    async mine(blocks: number) {
      for (let i = 0; i < blocks; i++) await evmMine()
    },
    /** evm_snapshot / evm_revert: the way to stage a reorg on a dev chain. */
    async snapshot() {
      return test.snapshot()
    },
    async revert(id: `0x${string}`) {
      await test.revert({ id })
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))])
      if (child.exitCode === null) child.kill('SIGKILL')
    },
  }
}

export type LocalChain = Awaited<ReturnType<typeof startLocalChain>>

/** Polls `fn` until it returns a truthy value; throws after `timeoutMs`. */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | null | false>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000)
  let last: unknown
  for (;;) {
    try {
      const value = await fn()
      if (value) return value
    } catch (error) {
      if (String(error).includes('exited')) throw error
      last = error
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${options.what ?? 'condition'}${last ? `: ${last}` : ''}`,
      )
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 100))
  }
}

/** Sum of Ponder's `ponder_indexing_completed_events` for one event name. */
export async function completedEvents(url: string, event: string) {
  const text = await (await fetch(`${url}/metrics`)).text()
  let total = 0
  for (const line of text.split('\n')) {
    if (
      line.startsWith('ponder_indexing_completed_events{') &&
      line.includes(`event="${event}"`)
    ) {
      total += Number(line.split(' ').at(-1))
    }
  }
  return total
}
