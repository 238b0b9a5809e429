// Deploys the Ignition module on a configured Hardhat network and writes the
// deployment file the node daemon and the indexer read:
//   deployments/<name>.json = { chainId, rpcUrl, startBlock, addresses, parameters, deployedAt }
// Usage: node scripts/chain/deploy.ts --network testnet [--parameters ignition/parameters/testnet.json]
//          [--out deployments/testnet.json] [--id <ignition deployment id>]
// The testnet deployer key: Hardhat's keystore (`npx hardhat keystore set
// POCKET_TESTNET_PRIVATE_KEY`), else the POCKET_TESTNET_PRIVATE_KEY env var,
// else POCKET_TESTNET_KEY_FILE, a `pocket node keystore` file unlocked with
// POCKET_KEYSTORE_PASSWORD.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import hre from 'hardhat'
import type { Address } from 'viem'
import PocketModule from '../../ignition/modules/Pocket.ts'
import {
  decryptKey,
  keystorePassword,
  readKeystore,
} from '../../node/keystore.ts'
import type { Deployment } from '../../src/chain/deployment.ts'
import {
  type ChainClients,
  getContracts,
} from '../../src/chain/getContracts.ts'

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

export type DeployParameters = {
  network: string
  /** Overrides the network's URL (e.g. another local port). */
  url?: string
  /** Ignition parameters file (JSON, bigints as "123n"). */
  parametersFile?: string
  /** Output file; defaults to deployments/<network>.json. */
  out?: string
  /**
   * Ignition deployment id (journal under ignition/deployments/<id>);
   * default chain-<chainId>, whose journal is reset on a local chain.
   */
  deploymentId?: string
}

export async function deploy({
  network,
  url,
  parametersFile,
  out,
  deploymentId,
}: DeployParameters) {
  const keyFile = process.env.POCKET_TESTNET_KEY_FILE
  if (
    network === 'testnet' &&
    keyFile &&
    !process.env.POCKET_TESTNET_PRIVATE_KEY
  )
    // read lazily by the network config (configVariable) at connection time
    process.env.POCKET_TESTNET_PRIVATE_KEY = decryptKey(
      await readKeystore(keyFile),
      await keystorePassword(),
    )
  const connection = await hre.network.create({
    network,
    ...(url ? { override: { url } } : {}),
  })
  const publicClient = await connection.viem.getPublicClient()
  const chainId = await publicClient.getChainId()
  const startBlock = Number(await publicClient.getBlockNumber()) + 1
  const parameters = parametersFile
    ? JSON.parse(await readFile(parametersFile, 'utf8'), (_key, value) =>
        typeof value === 'string' && /^\d+n$/.test(value)
          ? BigInt(value.slice(0, -1))
          : value,
      )
    : {}
  if (chainId === 31337 && !deploymentId) {
    // a fresh local chain: forget Ignition's journal of the previous one
    await rm(join(root, 'ignition', 'deployments', 'chain-31337'), {
      recursive: true,
      force: true,
    })
  }
  // Ignition's contract types come from artifacts.d.ts, which tsconfig leaves
  // out; the generated ABIs in src/chain give the same typing.
  const deployed = (await connection.ignition.deploy(PocketModule, {
    parameters,
    ...(deploymentId ? { deploymentId } : {}),
  })) as unknown as Record<'token' | 'staking' | 'market', { address: Address }>
  const addresses: Deployment['addresses'] = {
    PocketToken: deployed.token.address,
    Staking: deployed.staking.address,
    TaskMarket: deployed.market.address,
  }
  const [wallet] = await connection.viem.getWalletClients()
  const { token, staking, market } = getContracts({
    deployment: { addresses },
    clients: {
      public: publicClient as unknown as ChainClients['public'],
      wallet: wallet as unknown as ChainClients['wallet'],
    },
  })
  const params = await market.read.parameters()
  const networkUrl =
    'url' in connection.networkConfig
      ? await connection.networkConfig.url.get()
      : ''
  const deployment: Deployment = {
    chainId,
    rpcUrl: url ?? String(networkUrl),
    startBlock,
    addresses,
    parameters: {
      minStake: String(await staking.read.minStake()),
      unbondingPeriod: String(await staking.read.unbondingPeriod()),
      ...Object.fromEntries(
        Object.entries(params).map(([k, v]) => [k, String(v)]),
      ),
    },
    deployedAt: new Date().toISOString(),
  }
  const file = out ?? join(root, 'deployments', `${network}.json`)
  await mkdir(dirname(file), { recursive: true })
  await writeFile(file, `${JSON.stringify(deployment, null, 2)}\n`)
  return { connection, deployment, file, token, staking, market }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      network: { type: 'string', default: 'localhost' },
      url: { type: 'string' },
      parameters: { type: 'string' },
      out: { type: 'string' },
      id: { type: 'string' },
    },
  })
  const { deployment, file } = await deploy({
    network: values.network,
    url: values.url,
    parametersFile: values.parameters,
    out: values.out,
    deploymentId: values.id,
  })
  console.log(`deployed on chain ${deployment.chainId}:`, deployment.addresses)
  console.log(`wrote ${file}`)
  process.exit(0)
}
