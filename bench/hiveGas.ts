// Gas of settling hive contributions on HiveSettlement (in-process Hardhat
// network): one `settle` transaction for N contributors (publish root + fund
// + N Merkle claims), and a later single `claim`. Writes
// bench/results/hive-gas.json. Run: `node bench/hiveGas.ts`.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import hre from 'hardhat'
import { type Address, parseEther } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import {
  hiveSettlementAbi,
  hiveSettlementBytecode,
} from '../src/hive/hiveSettlementAbi.ts'
import { buildSettlementTree } from '../src/hive/settlementTree.ts'

const { viem } = await hre.network.create()
const pub = await viem.getPublicClient()
const [deployer] = await viem.getWalletClients()
const token = await viem.deployContract('PocketToken', [
  deployer.account.address,
])
const rows: {
  contributors: number
  settleGas: number
  perContributor: number
}[] = []
for (const n of [1, 4, 16, 64]) {
  const hash = await deployer.deployContract({
    abi: hiveSettlementAbi,
    bytecode: hiveSettlementBytecode,
    args: [token.address],
  })
  const settlement = (await pub.waitForTransactionReceipt({ hash }))
    .contractAddress as Address
  await token.write.mint([deployer.account.address, parseEther('1000000')])
  await token.write.approve([settlement, parseEther('1000000')])
  const leaves = Array.from({ length: n }, (_, i) => ({
    account: privateKeyToAccount(`0x${(i + 1).toString(16).padStart(64, '0')}`)
      .address,
    cumulative: parseEther(String(i + 1)),
  }))
  const tree = buildSettlementTree(leaves)
  const total = leaves.reduce((s, l) => s + l.cumulative, 0n)
  const tx = await deployer.writeContract({
    address: settlement,
    abi: hiveSettlementAbi,
    functionName: 'settle',
    args: [
      tree.root,
      total,
      tree.leaves.map((l) => ({
        account: l.account,
        cumulative: l.cumulative,
        proof: l.proof,
      })),
    ],
  })
  const r = await pub.waitForTransactionReceipt({ hash: tx })
  rows.push({
    contributors: n,
    settleGas: Number(r.gasUsed),
    perContributor: Math.round(Number(r.gasUsed) / n),
  })
}
console.table(rows)
const out = join(import.meta.dirname, 'results', 'hive-gas.json')
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true })
writeFileSync(
  out,
  `${JSON.stringify({ date: new Date().toISOString(), settle: rows }, null, 2)}\n`,
)
console.log(`wrote ${out}`)
process.exit(0)
