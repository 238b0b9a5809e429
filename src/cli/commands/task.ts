// `pocket task post|wait|get`: the requester side (node/requester.ts).
import type { Command } from 'commander'
import { formatEther, type Hex, parseEther } from 'viem'
import { type OpenNodeFlags, openNode } from '../../../node/openNode.ts'
import {
  assignBid,
  getTaskResult,
  postInferenceTask,
  waitForTask,
} from '../../../node/requester.ts'
import type { TaskState } from '../../chain/getTask.ts'
import { modelDigestOfPath } from '../../receipts/modelDigest.ts'

type PostFlags = OpenNodeFlags & {
  model: string
  maxPrice: string
  temperature: string
  maxTokens: string
  seed?: string
  raw?: boolean
  assign: boolean
  bidWindow: string
}

function common(cmd: Command): Command {
  return cmd
    .option('--deployment <file>', 'deployment file', 'deployments/local.json')
    .option(
      '--keystore <file>',
      'requester keystore',
      'requester.keystore.json',
    )
    .option('--rpc <url>', 'JSON-RPC URL')
}

export function registerTask(program: Command): void {
  const task = program
    .command('task')
    .description(
      'Post inference tasks to the marketplace and read verified results',
    )
  common(
    task
      .command('post')
      .description('Post a task (escrows max price); assigns the cheapest bid')
      .argument('<prompt>', 'user message'),
  )
    .requiredOption(
      '-m, --model <pathOrDigest>',
      'model file/folder (digested) or 0x digest',
    )
    .option('--max-price <pocket>', 'escrowed maximum price', '2')
    .option('--temperature <t>', 'sampling temperature', '0')
    .option('--max-tokens <n>', 'completion tokens', '32')
    .option('--seed <n>', 'sampling seed (random by default)')
    .option('--raw', 'prompt is raw text, no chat template')
    .option('--no-assign', 'do not wait for bids and assign (a scheduler will)')
    .option('--bid-window <s>', 'seconds for bids and assignment', '120')
    .action(async (prompt: string, f: PostFlags) => {
      const { clients, deployment } = await openNode(f, 'requester')
      const modelDigest = f.model.startsWith('0x')
        ? (f.model as Hex)
        : (await modelDigestOfPath(f.model)).digest
      const { taskId, seed } = await postInferenceTask(clients, deployment, {
        modelDigest,
        input: f.raw
          ? { prompt, raw: true }
          : { messages: [{ role: 'user', content: prompt }] },
        sampling: {
          temperature: Number(f.temperature),
          maxTokens: Number(f.maxTokens),
        },
        seed: f.seed ? BigInt(f.seed) : undefined,
        maxPrice: parseEther(f.maxPrice),
        bidWindow: Number(f.bidWindow),
      })
      console.log(`task ${taskId} (seed ${seed})`)
      if (f.assign) {
        const bid = await assignBid(clients, deployment, {
          taskId,
          timeoutMs: Number(f.bidWindow) * 1000,
        })
        console.log(
          `assigned to ${bid.node} at ${formatEther(bid.price)} POCKET`,
        )
      }
    })
  common(
    task
      .command('wait')
      .description('Wait until a task is committed (or a given state)')
      .argument('<taskId>'),
  )
    .option(
      '--state <states>',
      'comma-separated states',
      'Committed,Finalized,Slashed',
    )
    .option('--timeout <s>', 'seconds', '600')
    .action(
      async (
        id: string,
        f: OpenNodeFlags & { state: string; timeout: string },
      ) => {
        const { clients, deployment } = await openNode(f, 'requester')
        const state = await waitForTask(clients, deployment, {
          taskId: BigInt(id),
          states: f.state.split(',') as TaskState[],
          timeoutMs: Number(f.timeout) * 1000,
        })
        console.log(state)
      },
    )
  common(
    task
      .command('get')
      .description('Print a task result and check its receipt')
      .argument('<taskId>'),
  )
    .option('--json', 'print JSON')
    .action(async (id: string, f: OpenNodeFlags & { json?: boolean }) => {
      const { clients, deployment } = await openNode(f, 'requester')
      const r = await getTaskResult(clients, deployment, BigInt(id))
      if (f.json)
        return console.log(
          JSON.stringify(
            r,
            (_k, v) => (typeof v === 'bigint' ? String(v) : v),
            2,
          ),
        )
      console.log(`state: ${r.state}`)
      if (r.node)
        console.log(
          `node: ${r.node}\nreceipt: ${r.receiptHash} (${r.receiptValid ? 'valid' : 'INVALID'})\n\n${r.text}`,
        )
    })
}
