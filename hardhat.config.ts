// Hardhat 3 configuration for the PocketCloudMLX contracts.
// Solidity compiles offline with solcjs from the `solc` npm package; the
// public testnet is read from the environment (RPC URL) and the deployer key
// comes from Hardhat's keystore plugin (`npx hardhat keystore set ...`).
import { createRequire } from 'node:module'
import hardhatToolboxViemPlugin from '@nomicfoundation/hardhat-toolbox-viem'
import { configVariable, defineConfig } from 'hardhat/config'

const require = createRequire(import.meta.url)
const soljsonPath = require.resolve('solc/soljson.js')

export default defineConfig({
  plugins: [hardhatToolboxViemPlugin],
  solidity: {
    version: '0.8.37', // keep equal to the installed `solc` npm package
    path: soljsonPath,
    settings: {
      optimizer: { enabled: true, runs: 10_000 },
      evmVersion: 'prague',
      viaIR: false,
    },
  },
  paths: {
    sources: './contracts',
    tests: { solidity: './contracts/test' },
  },
  test: {
    solidity: {
      fuzz: { runs: 128 },
      invariant: { runs: 32, depth: 40 },
    },
  },
  networks: {
    localhost: {
      type: 'http',
      chainType: 'l1',
      url: 'http://127.0.0.1:8545',
    },
    testnet: {
      type: 'http',
      chainType: 'l1',
      url: configVariable('POCKET_TESTNET_RPC_URL'),
      accounts: [configVariable('POCKET_TESTNET_PRIVATE_KEY')],
    },
  },
})
