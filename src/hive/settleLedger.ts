// `pocket hive settle`: turns the ledger's cumulative amounts per payout
// address into a settlement tree and, in one transaction, publishes its root
// on HiveSettlement, funds what is still unpaid and pays every contributor.
import {
  type Address,
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  type LocalAccount,
  parseAbi,
} from 'viem'
import { hiveSettlementAbi } from './hiveSettlementAbi.ts'
import type { Ledger } from './ledger.ts'
import { buildSettlementTree, type SettlementTree } from './settlementTree.ts'

export type SettleLedgerParameters = {
  ledger: Ledger
  rpcUrl: string
  account: LocalAccount
  contract: Address
}

export type SettleLedgerReturnType = {
  tree: SettlementTree
  /** null when nothing was owed beyond what was already paid. */
  hash: Hex | null
  gasUsed: bigint
  funded: bigint
  paid: { account: Address; amount: bigint }[]
}

const erc20 = parseAbi([
  'function allowance(address,address) view returns (uint256)',
  'function approve(address,uint256) returns (bool)',
])

export async function settleLedger(
  p: SettleLedgerParameters,
): Promise<SettleLedgerReturnType> {
  const payouts = [...p.ledger.payouts()].filter(([, v]) => v > 0n)
  if (payouts.length === 0)
    throw new Error('The ledger owes nothing to a payout address.')
  const tree = buildSettlementTree(
    payouts.map(([account, cumulative]) => ({
      account: account as Address,
      cumulative,
    })),
  )
  const pub = createPublicClient({ transport: http(p.rpcUrl) })
  const wallet = createWalletClient({
    account: p.account,
    transport: http(p.rpcUrl),
  })
  const contract = { address: p.contract, abi: hiveSettlementAbi } as const
  const payer = p.account.address
  const paid: SettleLedgerReturnType['paid'] = []
  const claims: { account: Address; cumulative: bigint; proof: Hex[] }[] = []
  for (const leaf of tree.leaves) {
    const already = await pub.readContract({
      ...contract,
      functionName: 'claimedOf',
      args: [payer, leaf.account],
    })
    if (leaf.cumulative <= already) continue
    claims.push({
      account: leaf.account,
      cumulative: leaf.cumulative,
      proof: leaf.proof,
    })
    paid.push({ account: leaf.account, amount: leaf.cumulative - already })
  }
  if (claims.length === 0)
    return { tree, hash: null, gasUsed: 0n, funded: 0n, paid }
  const owed = paid.reduce((n, x) => n + x.amount, 0n)
  const pool = await pub.readContract({
    ...contract,
    functionName: 'poolOf',
    args: [payer],
  })
  const funded = owed > pool ? owed - pool : 0n
  const token = await pub.readContract({ ...contract, functionName: 'token' })
  const allowance = await pub.readContract({
    address: token,
    abi: erc20,
    functionName: 'allowance',
    args: [payer, p.contract],
  })
  if (allowance < funded) {
    const h = await wallet.writeContract({
      address: token,
      abi: erc20,
      functionName: 'approve',
      args: [p.contract, funded],
      chain: null,
    })
    await pub.waitForTransactionReceipt({ hash: h })
  }
  const hash = await wallet.writeContract({
    ...contract,
    functionName: 'settle',
    args: [tree.root, funded, claims],
    chain: null,
  })
  const receipt = await pub.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success') throw new Error(`settle reverted (${hash})`)
  return { tree, hash, gasUsed: receipt.gasUsed, funded, paid }
}
