// The deployment file written by `npm run chain` (deployments/local.json) and
// read by the node daemon and the indexer: chain id, RPC URL, contract
// addresses and the block to start indexing from.
import { readFile } from 'node:fs/promises'
import type { Address } from 'viem'

export type Deployment = {
  /** EIP-155 chain id (31337 for the local Hardhat node). */
  chainId: number
  /** JSON-RPC URL the deployment was made through. */
  rpcUrl: string
  /** First block that can hold events of these contracts. */
  startBlock: number
  addresses: {
    PocketToken: Address
    Staking: Address
    TaskMarket: Address
  }
  /** Parameters the contracts were deployed with (decimal strings for uints). */
  parameters: Record<string, string>
  /** ISO timestamp of the deployment. */
  deployedAt: string
}

export type ReadDeploymentParameters = { path: string }
export type ReadDeploymentReturnType = Deployment

/** Reads and checks a deployment file. */
export async function readDeployment({
  path,
}: ReadDeploymentParameters): Promise<ReadDeploymentReturnType> {
  const json = JSON.parse(await readFile(path, 'utf8')) as Deployment
  for (const key of ['PocketToken', 'Staking', 'TaskMarket'] as const) {
    if (!/^0x[0-9a-fA-F]{40}$/.test(json.addresses?.[key] ?? '')) {
      throw new Error(`deployment ${path}: missing address for ${key}`)
    }
  }
  if (!Number.isInteger(json.chainId) || !Number.isInteger(json.startBlock)) {
    throw new Error(
      `deployment ${path}: chainId and startBlock must be integers`,
    )
  }
  return json
}
