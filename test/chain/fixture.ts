// Shared fixture for the chain tests: an in-process Hardhat network (EDR),
// the Ignition module deployed on it, funded and staked accounts, and typed
// clients for each role. Never a mock: every call is a real transaction.
import hre from 'hardhat'
import { type Address, keccak256, parseEther, toHex } from 'viem'
import PocketModule from '../../ignition/modules/Pocket.ts'
import type { Deployment } from '../../src/chain/deployment.ts'
import {
  type ChainClients,
  getContracts,
} from '../../src/chain/getContracts.ts'
import { stake } from '../../src/chain/stake.ts'

export const POCKET = 10n ** 18n

export async function deployFixture() {
  const connection = await hre.network.create()
  const { viem, ignition, networkHelpers } = connection
  const deployed = (await ignition.deploy(PocketModule)) as unknown as Record<
    'token' | 'staking' | 'market',
    { address: Address }
  >
  const publicClient = await viem.getPublicClient()
  const wallets = await viem.getWalletClients()
  const addresses: Deployment['addresses'] = {
    PocketToken: deployed.token.address,
    Staking: deployed.staking.address,
    TaskMarket: deployed.market.address,
  }
  const clientsOf = (i: number): ChainClients => ({
    public: publicClient as unknown as ChainClients['public'],
    wallet: wallets[i] as unknown as ChainClients['wallet'],
  })
  const { token, staking, market } = getContracts({
    deployment: { addresses },
    clients: clientsOf(0),
  })
  const [deployer, requester, node, auditor, ...others] = wallets.map((_, i) =>
    clientsOf(i),
  )
  const jurors = others.slice(0, 4)
  // Fund everyone from the deployer (holds MINTER_ROLE), then stake the nodes.
  for (const c of [requester, node, auditor, ...jurors]) {
    await token.write.mint([c.wallet.account.address, parseEther('10000')], {
      chain: null,
    })
  }
  for (const c of [node, auditor, ...jurors]) {
    await stake(c, { addresses, amount: parseEther('1000') })
  }
  return {
    connection,
    networkHelpers,
    publicClient,
    token,
    staking,
    market,
    addresses,
    deployer,
    requester,
    node,
    auditor,
    jurors,
  }
}

export type Fixture = Awaited<ReturnType<typeof deployFixture>>

/** A deterministic fake task spec (hashes of short strings). */
export function taskSpec(label: string) {
  return {
    modelDigest: keccak256(toHex(`model:${label}`)),
    inputHash: keccak256(toHex(`input:${label}`)),
    input: `Say hello (${label})`,
    samplingParams: '{"temperature":0,"maxTokens":16}',
    seed: 42n,
  }
}
