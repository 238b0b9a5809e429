// `pocket start`: the whole marketplace on this machine. A hardhat node
// (child process) with the contracts deployed, a Ponder indexer (child
// process, PGlite in a temp dir), SmolLM2 loaded once and shared by a node
// daemon, an auditor and three jurors, and a requester posting real prompts
// that the scheduler assigns from the indexer's view. Prints each task's
// answer, receipt verification and payment, then the node's payout and its
// reputation as the indexer sees it. Ctrl-C (SIGINT/SIGTERM) at any point
// stops the daemons, the indexer and the chain, then unloads the model.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { erc20Abi, parseEther } from 'viem'
import { ModelShelf } from '../../node/modelShelf.ts'
import { taskMarketAbi } from '../chain/abis.ts'
import { loadModel } from '../engine/loadModel.ts'
import type { Model } from '../engine/model.ts'
import { type Indexer, startIndexer } from '../indexer/startIndexer.ts'
import { modelDigestOfPath } from '../receipts/modelDigest.ts'
import { pickDemoPrompts } from './demoPrompts.ts'
import {
  fetchReputationView,
  type ReputationView,
} from './fetchReputationView.ts'
import { pocket, printReport, verifiedAndPaid } from './printReport.ts'
import { runDemoTasks, short } from './runDemoTasks.ts'
import { type MarketWeb, serveMarketWeb } from './serveMarketWeb.ts'
import {
  freePort,
  type LocalChain,
  startLocalChain,
} from './startLocalChain.ts'
import {
  type Participants,
  roles,
  startParticipants,
} from './startParticipants.ts'
import { MarketplaceAbortedError, throwIfAborted } from './waitUntil.ts'

export type RunLocalMarketplaceParameters = {
  /** Number of demo prompts; default 3. */
  tasks?: number
  /** Path of the model's weights (GGUF file or model folder). */
  modelPath: string
  /** Chain port; default a free one. */
  port?: number
  /** Keep serving after the report until Ctrl-C. */
  keep?: boolean
  /** Tokens per answer; default 48. */
  maxTokens?: number
  /** Daemon and indexer logs too. */
  verbose?: boolean
  /** Port of the market view (web app); default a free one. */
  webPort?: number
  write?: (line: string) => void
}

export type RunLocalMarketplaceReturnType = {
  /** Every task verified and paid. */
  ok: boolean
  interrupted: boolean
}

const PRICE = parseEther('1')
const MAX_PRICE = parseEther('2')

export async function runLocalMarketplace(
  p: RunLocalMarketplaceParameters,
): Promise<RunLocalMarketplaceReturnType> {
  const write = p.write ?? ((line: string) => console.log(line))
  const step = (line: string) => write(`• ${line}`)
  const log = p.verbose ? (line: string) => write(`  ${line}`) : undefined
  const controller = new AbortController()
  const { signal } = controller
  let chain: LocalChain | undefined
  let indexer: Indexer | undefined
  let participants: Participants | undefined
  let model: Model | undefined
  let web: MarketWeb | undefined
  // stops whatever is running now; every stop() is safe to call twice
  const shutdown = async () => {
    await web?.close()
    await participants?.stop()
    await indexer?.stop()
    await chain?.stop()
  }
  const onSignal = (name: string) => {
    if (signal.aborted) {
      // a second Ctrl-C: do not wait for a clean stop
      for (const pid of [indexer?.pid, chain?.pid])
        if (pid && pid > 0) killQuietly(pid)
      process.exit(130)
    }
    write(`\n${name}: stopping…`)
    controller.abort()
    void shutdown()
  }
  const onInt = () => onSignal('SIGINT')
  const onTerm = () => onSignal('SIGTERM')
  process.on('SIGINT', onInt)
  process.on('SIGTERM', onTerm)
  const dir = mkdtempSync(join(tmpdir(), 'pocket-start-'))
  try {
    step('starting a local chain (hardhat node on 127.0.0.1)…')
    chain = await startLocalChain({
      out: join(dir, 'deployment.json'),
      stake: [roles.node, roles.auditor, ...roles.jurors],
      port: p.port,
      signal,
      onStep: step,
    })
    const { addresses } = chain.deployment
    step(
      `contracts deployed: TaskMarket ${addresses.TaskMarket}, ` +
        `Staking ${addresses.Staking}, PocketToken ${addresses.PocketToken}`,
    )
    step(
      'dev accounts 1-6 funded with 10000 POCKET (Hardhat test keys, in memory ' +
        'only); node, auditor and 3 jurors staked 1000 POCKET each',
    )
    throwIfAborted(signal)
    indexer = await startIndexer({
      deployment: chain.file,
      port: await freePort(),
      dataDir: join(dir, 'pglite'),
      pollingInterval: 250,
      logLevel: p.verbose ? 'info' : 'warn',
      onLog: log,
      signal,
    })
    step(`indexer ready at ${indexer.url} (Ponder, pid ${indexer.pid})`)
    throwIfAborted(signal)
    const path = p.modelPath
    model = await loadModel(path)
    const { digest } = await modelDigestOfPath(path)
    throwIfAborted(signal)
    step(`model loaded: ${basename(path)} (digest ${digest.slice(0, 18)}…)`)
    const shelf = new ModelShelf()
    shelf.put(digest, model)
    participants = startParticipants({
      chain,
      models: shelf,
      dir,
      price: PRICE,
      log,
    })
    step(
      `node ${participants.node.address} up: staked, bids ${pocket(PRICE)} ` +
        'per task, runs tasks in verified mode',
    )
    step(
      `auditor ${short(participants.auditor.address)} re-checks 100% of ` +
        `receipts; jurors ${participants.jurors.map((j) => short(j)).join(', ')}`,
    )
    web = await serveMarketWeb({
      chainUrl: chain.url,
      chainId: chain.deployment.chainId,
      indexerUrl: indexer.url,
      addresses,
      model: { digest, name: basename(path) },
      devAccount: chain.account(roles.requester).address,
      port: p.webPort,
    })
    step(`market view at ${web.marketUrl} (web app; tasks, receipts, nodes)`)
    const count = p.tasks ?? 3
    const outcomes = await runDemoTasks({
      chain,
      participants,
      indexerUrl: indexer.url,
      model,
      modelDigest: digest,
      prompts: pickDemoPrompts(count),
      maxTokens: p.maxTokens ?? 48,
      maxPrice: MAX_PRICE,
      signal,
      onStep: step,
    })
    const node = participants.node.address
    let view: ReputationView | undefined
    try {
      view = await fetchReputationView({
        indexerUrl: indexer.url,
        node,
        completed: outcomes.filter((o) => o.state === 'Finalized').length,
        signal,
      })
    } catch (error) {
      if (error instanceof MarketplaceAbortedError) throw error
      step(`indexer view not available: ${(error as Error).message}`)
    }
    const requester = chain.clients(roles.requester).public
    const [withdrawn, paid, owed, balance] = await Promise.all([
      requester
        .getContractEvents({
          address: addresses.TaskMarket,
          abi: taskMarketAbi,
          eventName: 'Withdrawn',
          args: { account: node },
          fromBlock: BigInt(chain.deployment.startBlock),
        })
        .then((logs) => logs.reduce((s, l) => s + (l.args.amount ?? 0n), 0n)),
      // finalizeTask pays the node in the same call
      requester
        .getContractEvents({
          address: addresses.TaskMarket,
          abi: taskMarketAbi,
          eventName: 'TaskFinalized',
          args: { node },
          fromBlock: BigInt(chain.deployment.startBlock),
        })
        .then((logs) => logs.reduce((s, l) => s + (l.args.payment ?? 0n), 0n)),
      requester.readContract({
        address: addresses.TaskMarket,
        abi: taskMarketAbi,
        functionName: 'owedOf',
        args: [node],
      }),
      requester.readContract({
        address: addresses.PocketToken,
        abi: erc20Abi,
        functionName: 'balanceOf',
        args: [node],
      }),
    ])
    printReport({
      outcomes,
      node,
      paid,
      withdrawn,
      owed,
      balance,
      view,
      indexerUrl: indexer.url,
      write,
    })
    const ok = outcomes.length === count && outcomes.every(verifiedAndPaid)
    if (p.keep && !signal.aborted) {
      write('')
      write(`Marketplace running — chain ${chain.url}, indexer ${indexer.url}`)
      write(`  curl -s '${indexer.url}/nodes?finality=latest'`)
      write(`  curl -s ${indexer.url}/tasks/${outcomes[0]?.taskId ?? 0}`)
      write('Press Ctrl-C to stop.')
      write(`Open the market view: ${web.marketUrl}`)
      await new Promise((r) => signal.addEventListener('abort', r))
      return { ok, interrupted: false }
    }
    return { ok, interrupted: false }
  } catch (error) {
    if (signal.aborted) return { ok: false, interrupted: true }
    throw error
  } finally {
    await shutdown()
    await model?.dispose()
    process.off('SIGINT', onInt)
    process.off('SIGTERM', onTerm)
    rmSync(dir, { recursive: true, force: true })
    if (signal.aborted) write('stopped: daemons, indexer and chain are down')
  }
}

function killQuietly(pid: number) {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // already gone
  }
}
