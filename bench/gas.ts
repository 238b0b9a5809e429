// Gas per step of the task lifecycle on an in-process Hardhat network.
// Prints a table and writes bench/results/gas.json. The happy path is
// measured twice per bidding mode: "first" (the first task on a fresh
// deployment: every slot written is new) and "steady" (a later task by the
// same parties while another task holds escrow in the market). Bidding modes:
// "quote" (EIP-712 quotes collected off chain before posting; the requester
// posts the task assigned to the winning quote in one call: postTaskWithQuote),
// "signed" (EIP-712 bid on a posted task, assignSignedBid) and "onchain"
// (placeBid + assignTask). Payment is part of finalizeTask (node
// paid and requester refunded in that call). Goal (issue 17): post + bid +
// assign + commit + finalize + payment <= 250k gas in steady state. Also one
// challenged task (seed commitment, reveal + draw, 3 votes, resolution).
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
import { bidTypes, quoteTypes } from '../src/chain/signBid.ts'

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

const chainId = await publicClient.getChainId()
async function signedBid(taskId: bigint, price: bigint) {
  const expiry = BigInt(await networkHelpers.time.latest()) + 600n
  const signature = await node.signTypedData({
    account: node.account,
    domain: {
      name: 'PocketTaskMarket',
      version: '1',
      chainId,
      verifyingContract: market.address,
    },
    types: bidTypes,
    primaryType: 'Bid',
    message: { taskId, price, expiry },
  })
  return [taskId, price, expiry, signature] as const
}

async function quote(spec: QuoteSpec) {
  const expiry = BigInt(await networkHelpers.time.latest()) + 600n
  const signature = await node.signTypedData({
    account: node.account,
    domain: {
      name: 'PocketTaskMarket',
      version: '1',
      chainId,
      verifyingContract: market.address,
    },
    types: quoteTypes,
    primaryType: 'Quote',
    message: {
      requester: requester.account.address,
      modelDigest: spec.modelDigest,
      inputHash: spec.inputHash,
      samplingHash: keccak256(spec.samplingParams),
      seed: spec.seed,
      execWindow: spec.execWindow,
      price: spec.maxPrice,
      expiry,
    },
  })
  return { expiry, signature }
}

type QuoteSpec = {
  modelDigest: Hash
  inputHash: Hash
  samplingParams: Hash
  seed: bigint
  execWindow: number
  maxPrice: bigint
}
type Mode = 'quote' | 'signed' | 'onchain'
async function postBidAssignCommit(label: string, mode: Mode = 'signed') {
  const now = BigInt(await networkHelpers.time.latest())
  const spec = {
    modelDigest: keccak256(toHex(`model:${label}`)),
    inputHash: keccak256(toHex(`input:${label}`)),
    input: toHex('Write a haiku about pockets.'),
    inputURI: '',
    samplingParams: toHex('{"temperature":0,"maxTokens":64}'),
    seed: 7n,
    maxPrice: parseEther('10'),
    bidDeadline: now + 600n,
    execWindow: 300,
  }
  const price = parseEther('8')
  const quoted = { ...spec, maxPrice: price } // escrow = the quoted price
  const post =
    mode === 'quote'
      ? await send(requester, market, 'postTaskWithQuote', [
          quoted,
          ...Object.values(await quote(quoted)),
        ])
      : await send(requester, market, 'postTask', [spec])
  const [posted] = parseEventLogs({
    abi: taskMarketAbi,
    eventName: 'TaskPosted',
    logs: post.logs,
  })
  const taskId = posted.args.taskId
  let bid: { gasUsed: bigint }
  let assign: { gasUsed: bigint }
  if (mode === 'quote') {
    bid = { gasUsed: 0n } // quoted off chain
    assign = { gasUsed: 0n } // assigned by postTaskWithQuote
  } else if (mode === 'onchain') {
    bid = await send(node, market, 'placeBid', [taskId, price])
    assign = await send(requester, market, 'assignTask', [taskId, 0])
  } else {
    bid = { gasUsed: 0n } // signed off chain: no transaction
    assign = await send(
      requester,
      market,
      'assignSignedBid',
      await signedBid(taskId, price),
    )
  }
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
async function happyPath(label: string, mode: Mode): Promise<Row> {
  const { taskId, post, bid, assign, commit } = await postBidAssignCommit(
    label,
    mode,
  )
  await networkHelpers.time.increase(601)
  const finalize = await send(requester, market, 'finalizeTask', [taskId])
  const row: Row = {
    postTask: post.gasUsed,
    placeBid: bid.gasUsed,
    assignTask: assign.gasUsed,
    commitResult: commit.gasUsed,
    finalizeTask: finalize.gasUsed, // includes the payment and the refund
  }
  row.total = Object.values(row).reduce((a, b) => a + b, 0n)
  return row
}

const first = await happyPath('first', 'quote')
const firstSigned = await happyPath('first-signed', 'signed')
const firstOnchain = await happyPath('first-onchain', 'onchain')
// A live market holds other escrows: keep one task open in the background so
// the market's token balance is not zero (as it never is in production).
await postBidAssignCommit('background')
const steady = await happyPath('steady', 'quote')
const steadySigned = await happyPath('steady-signed', 'signed')
const steadyOnchain = await happyPath('steady-onchain', 'onchain')

// challenged task: seed commitment with the bond, reveal + draw one block
// later, 3 commit + 3 reveal votes, resolve (node slashed)
const c = await postBidAssignCommit('challenged')
const secret = keccak256(toHex('secret'))
const seedHash = await publicClient.readContract({
  ...market,
  functionName: 'seedCommitment',
  args: [c.taskId, auditor.account.address, secret],
})
const commitChallenge = await send(auditor, market, 'commitChallenge', [
  c.taskId,
  seedHash,
])
const challenge = await send(auditor, market, 'challenge', [
  c.taskId,
  keccak256(toHex('evidence')),
  secret,
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
  commitChallenge: commitChallenge.gasUsed,
  challenge: challenge.gasUsed,
  commitVote,
  revealVote,
  resolveChallenge: resolve.gasUsed,
}

// Before issue 17 (commit 77bdef3, on-chain bid, pull payment): steady state
const before: Row = {
  postTask: 80787n,
  placeBid: 67592n,
  assignTask: 32816n,
  commitResult: 39865n,
  finalizeTask: 76945n,
  withdraw: 44077n,
  total: 342082n,
}
const steps = [...Object.keys(before)]
const cell = (row: Row, step: string) => String(row[step] ?? '-').padStart(12)
console.log(
  '\nTask lifecycle gas (in-process Hardhat, solc 0.8.37, optimizer 10k runs)',
)
console.log(
  `${'step'.padEnd(16)}${'before'.padStart(12)}${'quote 1st'.padStart(12)}${'quote'.padStart(12)}${'signed 1st'.padStart(12)}${'signed'.padStart(12)}${'onchain 1st'.padStart(12)}${'onchain'.padStart(12)}`,
)
for (const step of steps) {
  console.log(
    `${step.padEnd(16)}${cell(before, step)}${cell(first, step)}${cell(steady, step)}${cell(firstSigned, step)}${cell(steadySigned, step)}${cell(firstOnchain, step)}${cell(steadyOnchain, step)}`,
  )
}
console.log('(quote: postTask = post + bid + assign in one call)')
console.log('(withdraw: gone from the happy path; finalizeTask pays the node)')
console.log('\nChallenge path (jury of 3, node slashed)')
for (const [step, gas] of Object.entries(dispute)) {
  console.log(`${step.padEnd(20)}${String(gas).padStart(12)}`)
}
const goal = 250_000n
console.log(
  `\nhappy path total, steady state: quote ${steady.total} (goal <= ${goal}: ${steady.total <= goal ? 'met' : 'NOT met'}), signed bid on a posted task ${steadySigned.total}, on-chain bid ${steadyOnchain.total}`,
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
      happyPath: {
        first: json(first),
        steady: json(steady),
        firstSignedBid: json(firstSigned),
        steadySignedBid: json(steadySigned),
        firstOnchainBid: json(firstOnchain),
        steadyOnchainBid: json(steadyOnchain),
        beforeIssue17Steady: json(before),
      },
      challengePath: json(dispute),
    },
    null,
    2,
  )}\n`,
)
console.log(`wrote ${out}`)
process.exit(0)
