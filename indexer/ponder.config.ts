// Ponder config: contracts, addresses and start block come from the
// deployment file written by `npm run chain` / scripts/chain/deploy.ts.
//   POCKET_DEPLOYMENT   deployment file (default ../deployments/local.json)
//   PONDER_RPC_URL      RPC override (default: the file's rpcUrl)
//   DATABASE_URL        Postgres; unset -> PGlite in POCKET_INDEXER_DIR
//                       (default .ponder/pglite)
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createConfig } from 'ponder'
import { stakingAbi, taskMarketAbi } from '../src/chain/abis.ts'
import type { Deployment } from '../src/chain/deployment.ts'

const here = fileURLToPath(new URL('.', import.meta.url))
const deploymentFile = resolve(
  here,
  process.env.POCKET_DEPLOYMENT ?? '../deployments/local.json',
)
const deployment = JSON.parse(
  readFileSync(deploymentFile, 'utf8'),
) as Deployment

export default createConfig({
  database: process.env.DATABASE_URL
    ? { kind: 'postgres', connectionString: process.env.DATABASE_URL }
    : {
        kind: 'pglite',
        directory: resolve(
          here,
          process.env.POCKET_INDEXER_DIR ?? '.ponder/pglite',
        ),
      },
  chains: {
    pocket: {
      id: deployment.chainId,
      rpc: process.env.PONDER_RPC_URL ?? deployment.rpcUrl,
      // a local chain resets; never serve cached RPC answers from a previous one
      disableCache: deployment.chainId === 31337,
      pollingInterval: Number(process.env.PONDER_POLLING_INTERVAL ?? 500),
    },
  },
  contracts: {
    TaskMarket: {
      chain: 'pocket',
      abi: taskMarketAbi,
      address: deployment.addresses.TaskMarket,
      startBlock: deployment.startBlock,
    },
    Staking: {
      chain: 'pocket',
      abi: stakingAbi,
      address: deployment.addresses.Staking,
      startBlock: deployment.startBlock,
    },
  },
})
