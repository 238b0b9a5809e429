// `npm run faucet -- <address> [amount]`: mints testnet POCKET to an address
// with the deployer's MINTER_ROLE. Reads the deployment file of the network
// (`--network localhost` -> deployments/local.json, otherwise
// deployments/<network>.json); on a public testnet the minter key comes from
// the Hardhat keystore (POCKET_TESTNET_PRIVATE_KEY).
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import hre from 'hardhat'
import { type Address, formatEther, getAddress, parseEther } from 'viem'
import { pocketTokenAbi } from '../../src/chain/abis.ts'
import { readDeployment } from '../../src/chain/deployment.ts'
import { root } from './deploy.ts'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    network: { type: 'string', default: 'localhost' },
    deployment: { type: 'string' },
  },
})
const [to, amount = '1000'] = positionals
if (!to) {
  console.error(
    'usage: npm run faucet -- <address> [amount] [--network localhost]',
  )
  process.exit(2)
}
const file =
  values.deployment ??
  join(
    root,
    'deployments',
    values.network === 'localhost' ? 'local.json' : `${values.network}.json`,
  )
const deployment = await readDeployment({ path: file })
const connection = await hre.network.create({
  network: values.network,
  ...(values.network === 'localhost'
    ? { override: { url: deployment.rpcUrl } }
    : {}),
})
const [minter] = await connection.viem.getWalletClients()
const publicClient = await connection.viem.getPublicClient()
const recipient: Address = getAddress(to)
const hash = await minter.writeContract({
  address: deployment.addresses.PocketToken,
  abi: pocketTokenAbi,
  functionName: 'mint',
  args: [recipient, parseEther(amount)],
})
await publicClient.waitForTransactionReceipt({ hash })
const balance = await publicClient.readContract({
  address: deployment.addresses.PocketToken,
  abi: pocketTokenAbi,
  functionName: 'balanceOf',
  args: [recipient],
})
console.log(
  `minted ${amount} POCKET to ${recipient} (balance ${formatEther(balance)})`,
)
process.exit(0)
