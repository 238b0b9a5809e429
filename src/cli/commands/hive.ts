// `pocket hive init|remove|ledger|settle`: create a hive (key pair + join
// code, shown as text and QR), revoke a device, show the contribution
// ledger of the running hive server, and settle it on chain.
import type { Command } from 'commander'
import QRCode from 'qrcode'
import {
  type Address,
  createPublicClient,
  createWalletClient,
  formatEther,
  http,
  parseEther,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import {
  hiveSettlementAbi,
  hiveSettlementBytecode,
} from '../../hive/hiveSettlementAbi.ts'
import { loadSavedHive, saveHive } from '../../hive/hiveStore.ts'
import { encodeJoinCode, hiveFromSecret } from '../../hive/joinCode.ts'
import { generateKeyPair } from '../../hive/keys.ts'
import { Ledger } from '../../hive/ledger.ts'
import { revokeDevice } from '../../hive/revocations.ts'
import { settleLedger } from '../../hive/settleLedger.ts'
import { callServer } from '../callServer.ts'
import { UsageError } from '../errors.ts'

type LedgerBody = {
  hive: string
  price_per_1k: string
  devices: {
    device: string
    name: string
    payout: string | null
    receipts: number
    promptTokens: number
    completionTokens: number
    owed: string
  }[]
  data: unknown[]
}

function savedHive() {
  const hive = loadSavedHive()
  if (!hive)
    throw new UsageError('This device is in no hive.', {
      details:
        'Run `pocket hive init`, or `pocket serve --hive <code>` to join one.',
    })
  return hive
}

export function registerHive(program: Command): void {
  const hive = program
    .command('hive')
    .description(
      'A private cluster of your devices: pair, revoke, ledger, settle',
    )
  hive
    .command('init')
    .description('Create a hive and print its join code (and a QR code)')
    .option('--price <POCKET>', '$POCKET per 1000 tokens served', '0.01')
    .option('--json', 'print {"code": ..., "hive": ...} only')
    .action(async (flags: { price: string; json?: boolean }) => {
      let price: bigint
      try {
        price = parseEther(flags.price)
      } catch {
        throw new UsageError(
          `--price must be a number of $POCKET (got "${flags.price}").`,
        )
      }
      const h = hiveFromSecret(generateKeyPair().secretKey, price)
      saveHive(h)
      const code = encodeJoinCode(h)
      if (flags.json) {
        console.log(JSON.stringify({ code, hive: h.id }))
        return
      }
      console.log(
        await QRCode.toString(code, { type: 'terminal', small: true }),
      )
      console.log(`hive ${h.id} (${flags.price} POCKET per 1000 tokens)`)
      console.log(`join code (keep it like a password): ${code}`)
      console.log(`on each device: pocket serve --host 0.0.0.0 --hive ${code}`)
    })
  hive
    .command('remove')
    .description('Revoke a device: members refuse it from now on')
    .argument('<device>', 'device id (32 hex, see GET /v1/hive/peers)')
    .option('--url <url>', 'the hive server to tell (default: the running one)')
    .action(async (device: string, flags: { url?: string }) => {
      if (!/^[0-9a-f]{32}$/.test(device))
        throw new UsageError(
          `A device id is 32 hex characters (got "${device}").`,
        )
      const r = revokeDevice(savedHive(), device)
      await callServer('POST', '/v1/hive/revocations', {
        url: flags.url,
        body: r,
      })
      console.log(
        `revoked ${device}; members learn it from each other's status`,
      )
    })
  hive
    .command('ledger')
    .description("Contributions recorded across the hive's members")
    .option('--url <url>', 'the hive server (default: the running one)')
    .option('--json', 'print the raw ledger')
    .action(async (flags: { url?: string; json?: boolean }) => {
      const body = await callServer<LedgerBody>('GET', '/v1/hive/ledger', {
        url: flags.url,
      })
      if (flags.json) {
        console.log(JSON.stringify(body, null, 2))
        return
      }
      console.log(
        `hive ${body.hive}: ${body.data.length} receipts, ${formatEther(BigInt(body.price_per_1k))} POCKET per 1000 tokens`,
      )
      for (const d of body.devices)
        console.log(
          `  ${d.device}  ${d.name.padEnd(16)} ${String(d.receipts).padStart(5)} receipts ${String(d.promptTokens + d.completionTokens).padStart(8)} tokens  ${formatEther(BigInt(d.owed))} POCKET -> ${d.payout ?? '(no payout address)'}`,
        )
    })
  hive
    .command('deploy')
    .description('Deploy a HiveSettlement contract for a $POCKET token')
    .requiredOption('--token <address>', '$POCKET token address')
    .option(
      '--rpc <url>',
      'chain RPC URL',
      process.env.POCKET_RPC_URL ?? 'http://127.0.0.1:8545',
    )
    .option(
      '--private-key <hex>',
      'deployer key (env POCKET_PRIVATE_KEY)',
      process.env.POCKET_PRIVATE_KEY,
    )
    .action(
      async (flags: { token: string; rpc: string; privateKey?: string }) => {
        if (!flags.privateKey || !/^0x[0-9a-fA-F]{64}$/.test(flags.privateKey))
          throw new UsageError(
            '--private-key (or POCKET_PRIVATE_KEY) must be a 0x-prefixed 32-byte hex key.',
          )
        if (!/^0x[0-9a-fA-F]{40}$/.test(flags.token))
          throw new UsageError(
            `--token must be an address (got "${flags.token}").`,
          )
        const account = privateKeyToAccount(flags.privateKey as `0x${string}`)
        const wallet = createWalletClient({
          account,
          transport: http(flags.rpc),
        })
        const pub = createPublicClient({ transport: http(flags.rpc) })
        const hash = await wallet.deployContract({
          abi: hiveSettlementAbi,
          bytecode: hiveSettlementBytecode,
          args: [flags.token as Address],
          chain: null,
        })
        const r = await pub.waitForTransactionReceipt({ hash })
        console.log(r.contractAddress)
      },
    )
  hive
    .command('settle')
    .description('Pay every contributor in one transaction (HiveSettlement)')
    .requiredOption('--contract <address>', 'HiveSettlement address')
    .option(
      '--rpc <url>',
      'chain RPC URL',
      process.env.POCKET_RPC_URL ?? 'http://127.0.0.1:8545',
    )
    .option(
      '--private-key <hex>',
      'payer key (env POCKET_PRIVATE_KEY)',
      process.env.POCKET_PRIVATE_KEY,
    )
    .option('--url <url>', 'the hive server (default: the running one)')
    .option('--json', 'print the result as JSON')
    .action(
      async (flags: {
        contract: string
        rpc: string
        privateKey?: string
        url?: string
        json?: boolean
      }) => {
        if (!flags.privateKey || !/^0x[0-9a-fA-F]{64}$/.test(flags.privateKey))
          throw new UsageError(
            '--private-key (or POCKET_PRIVATE_KEY) must be a 0x-prefixed 32-byte hex key.',
          )
        if (!/^0x[0-9a-fA-F]{40}$/.test(flags.contract))
          throw new UsageError(
            `--contract must be an address (got "${flags.contract}").`,
          )
        const h = savedHive()
        const body = await callServer<LedgerBody>('GET', '/v1/hive/ledger', {
          url: flags.url,
        })
        const ledger = new Ledger(h, null)
        for (const e of body.data) ledger.add(e as never)
        const r = await settleLedger({
          ledger,
          rpcUrl: flags.rpc,
          account: privateKeyToAccount(flags.privateKey as `0x${string}`),
          contract: flags.contract as Address,
        })
        const out = {
          root: r.tree.root,
          transaction: r.hash,
          gasUsed: r.gasUsed.toString(),
          funded: r.funded.toString(),
          receipts: ledger.entries().length,
          paid: r.paid.map((x) => ({
            account: x.account,
            amount: x.amount.toString(),
          })),
        }
        if (flags.json) {
          console.log(JSON.stringify(out))
          return
        }
        if (!r.hash) {
          console.log('nothing to pay: every contributor is paid up')
          return
        }
        console.log(
          `settled ${out.receipts} receipts in ${r.hash} (${r.gasUsed} gas), root ${r.tree.root}`,
        )
        for (const x of r.paid)
          console.log(`  ${x.account}  ${formatEther(x.amount)} POCKET`)
      },
    )
}
