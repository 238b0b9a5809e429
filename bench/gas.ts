// Gas per step of the task lifecycle on an in-process Hardhat network.
// Prints a table and writes bench/results/gas.json. Two runs of the happy
// path are measured: "first" (the first task on a fresh deployment: every
// slot written is new) and "steady" (a later task by the same parties while
// another task holds escrow in the market), plus one challenged task. Goal: post + bid + assign + commit + finalize + withdraw
// <= 300k gas with no challenge.
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import hre from 'hardhat'
import {
  type Address,
  type Hash,
  keccak256,
  parseEther,
  parseEventLogs,
  toHex,
} from 'viem'
import PocketModule from '../ignition/modules/Pocket.ts'
import { pocketTokenAbi, stakingAbi, taskMarketAbi } from '../src/chain/abis.ts'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const { viem, ignition, networkHelpers } = await hre.network.create()
const deployed = (await ignition.deploy(PocketModule)) as unknown as Record<
  'token' | 'staking' | 'market',
  { address: Address }
>
const publicClient = await viem.getPublicClient()
const [deployer, requester, node, auditor, ...others] =
  await viem.getWalletClients()
const token = { address: deployed.token.address, abi: pocketTokenAbi } as const
const staking = { address: deployed.staking.address, abi: stakingAbi } as const
const market = { address: deployed.market.address, abi: taskMarketAbi } as const
const MAX = 2n ** 256n - 1n

type Wallet = typeof deployer
async function send(
  wallet: Wallet,
  contract: typeof token | typeof staking | typeof market,
  functionName: string,
  args: readonly unknown[],
) {
  const hash: Hash = await wallet.writeContract({
    ...contract,
    functionName,
    args,
  } as never)
  return publicClient.waitForTransactionReceipt({ hash })
}

// setup (not measured): funds, max allowances, stakes
const jurors = others.slice(0, 3)
for (const w of [requester, node, auditor, ...jurors]) {
  await send(deployer, token, 'mint', [w.account.address, parseEther('10000')])
}
for (const w of [node, auditor, ...jurors]) {
  await send(w, token, 'approve', [staking.address, MAX])
  await send(w, staking, 'stake', [parseEther('1000')])
}
await send(requester, token, 'approve', [market.address, MAX])
await send(auditor, token, 'approve', [market.address, MAX])

async function postBidAssignCommit(label: string) {
  const now = BigInt(await networkHelpers.time.latest())
  const post = await send(requester, market, 'postTask', [
    {
      modelDigest: keccak256(toHex(`model:${label}`)),
      inputHash: keccak256(toHex(`input:${label}`)),
      input: toHex('Write a haiku about pockets.'),
      inputURI: '',
      samplingParams: toHex('{"temperature":0,"maxTokens":64}'),
      seed: 7n,
      maxPrice: parseEther('10'),
      bidDeadline: now + 600n,
      execWindow: 300,
    },
  ])
  const [posted] = parseEventLogs({
    abi: taskMarketAbi,
    eventName: 'TaskPosted',
    logs: post.logs,
  })
  const taskId = posted.args.taskId
  const bid = await send(node, market, 'placeBid', [taskId, parseEther('8')])
  const assign = await send(requester, market, 'assignTask', [taskId, 0])
  const commit = await send(node, market, 'commitResult', [
    taskId,
    keccak256(toHex(`receipt:${label}`)),
    keccak256(toHex(`output:${label}`)),
    toHex(
      'Stitched seams hold light / a pocket full of small suns / carried, never spent',
    ),
    '',
  ])
  return { taskId, post, bid, assign, commit }
}

type Row = Record<string, bigint>
async function happyPath(label: string): Promise<Row> {
  const { taskId, post, bid, assign, commit } = await postBidAssignCommit(label)
  await networkHelpers.time.increase(601)
  const finalize = await send(requester, market, 'finalizeTask', [taskId])
  const withdraw = await send(node, market, 'withdraw', [])
  const row: Row = {
    postTask: post.gasUsed,
    placeBid: bid.gasUsed,
    assignTask: assign.gasUsed,
    commitResult: commit.gasUsed,
    finalizeTask: finalize.gasUsed,
    withdraw: withdraw.gasUsed,
  }
  row.total = Object.values(row).reduce((a, b) => a + b, 0n)
  // the requester's refund withdrawal is not part of the goal; shown apart
  row.requesterWithdraw = (
    await send(requester, market, 'withdraw', [])
  ).gasUsed
  return row
}

const first = await happyPath('first')
// A live market holds other escrows: keep one task open in the background so
// the market's token balance is not zero (as it never is in production).
await postBidAssignCommit('background')
const steady = await happyPath('steady')

// challenged task: challenge, 3 commit + 3 reveal votes, resolve (node slashed)
const c = await postBidAssignCommit('challenged')
const challenge = await send(auditor, market, 'challenge', [
  c.taskId,
  keccak256(toHex('evidence')),
])
const [challenged] = parseEventLogs({
  abi: taskMarketAbi,
  eventName: 'TaskChallenged',
  logs: challenge.logs,
})
const byAddress = new Map(
  jurors.map((w) => [w.account.address.toLowerCase(), w]),
)
const salt = keccak256(toHex('salt'))
let commitVote = 0n
let revealVote = 0n
for (const juror of challenged.args.jurors) {
  const w = byAddress.get(juror.toLowerCase())
  if (!w) throw new Error(`unknown juror ${juror}`)
  const commitment = await publicClient.readContract({
    ...market,
    functionName: 'voteCommitment',
    args: [c.taskId, juror, true, salt],
  })
  commitVote = (await send(w, market, 'commitVote', [c.taskId, commitment]))
    .gasUsed
}
await networkHelpers.time.increase(301)
for (const juror of challenged.args.jurors) {
  const w = byAddress.get(juror.toLowerCase()) as Wallet
  revealVote = (await send(w, market, 'revealVote', [c.taskId, true, salt]))
    .gasUsed
}
const resolve = await send(requester, market, 'resolveChallenge', [c.taskId])
const dispute: Row = {
  challenge: challenge.gasUsed,
  commitVote,
  revealVote,
  resolveChallenge: resolve.gasUsed,
}

const steps = Object.keys(first)
console.log(
  '\nTask lifecycle gas (in-process Hardhat, solc 0.8.37, optimizer 10k runs)',
)
console.log(
  `${'step'.padEnd(20)}${'first task'.padStart(12)}${'steady'.padStart(12)}`,
)
for (const step of steps) {
  console.log(
    `${step.padEnd(20)}${String(first[step]).padStart(12)}${String(steady[step]).padStart(12)}`,
  )
}
console.log('\nChallenge path (jury of 3, node slashed)')
for (const [step, gas] of Object.entries(dispute)) {
  console.log(`${step.padEnd(20)}${String(gas).padStart(12)}`)
}
const goal = 300_000n
console.log(
  `\nhappy path total: first ${first.total}, steady ${steady.total} (goal <= ${goal}: ${steady.total <= goal && first.total <= goal ? 'met' : first.total > goal && steady.total <= goal ? 'met in steady state only' : 'NOT met'})`,
)

const json = (row: Row) =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)]))
const out = join(root, 'bench', 'results', 'gas.json')
await mkdir(dirname(out), { recursive: true })
await writeFile(
  out,
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      solc: '0.8.37',
      optimizerRuns: 10_000,
      goal: Number(goal),
      happyPath: { first: json(first), steady: json(steady) },
      challengePath: json(dispute),
    },
    null,
    2,
  )}\n`,
)
console.log(`wrote ${out}`)
process.exit(0)
