// `pocket task post|wait|get`: the requester side (node/requester.ts).
import type { Command } from 'commander'
import { type Address, formatEther, type Hex, parseEther } from 'viem'
import { type OpenNodeFlags, openNode } from '../../../node/openNode.ts'
import {
  getPrivateTaskResult,
  type PrivateTaskSecret,
  postPrivateTask,
  sendPrivateInput,
} from '../../../node/privateRequester.ts'
import {
  assignBid,
  getTaskResult,
  type PostInferenceTaskParameters,
  postInferenceTask,
  waitForTask,
} from '../../../node/requester.ts'
import { postedTask } from '../../../node/taskEvents.ts'
import type { TaskState } from '../../chain/getTask.ts'
import { parseSealedDescriptor } from '../../privacy/sealedTask.ts'
import { modelDigestOfPath } from '../../receipts/modelDigest.ts'
import { UsageError } from '../errors.ts'

type PostFlags = OpenNodeFlags & {
  model: string
  maxPrice: string
  temperature: string
  maxTokens: string
  seed?: string
  raw?: boolean
  assign: boolean
  bidWindow: string
  private?: boolean
  relay?: string
  auditor?: string[]
}
const collect = (v: string, prev: string[] = []) => [...prev, v]

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
    .option(
      '--private',
      'encrypt the prompt to the assigned node, the output to you (needs --relay)',
    )
    .option('--relay <url>', 'payload relay for --private (pocket relay)')
    .option(
      '--auditor <address>',
      'auditor granted decryption of a --private task (repeatable)',
      collect,
    )
    .action(async (prompt: string, f: PostFlags) => {
      if (f.private && !f.relay)
        throw new UsageError('--private needs --relay <url>.')
      if (f.private && !f.assign)
        throw new UsageError(
          '--private seals the prompt to the assigned node: drop --no-assign.',
        )
      // -m names the task's model here, not models for openNode to serve
      const { clients, deployment } = await openNode(
        { ...f, model: undefined },
        'requester',
      )
      const modelDigest = f.model.startsWith('0x')
        ? (f.model as Hex)
        : (await modelDigestOfPath(f.model)).digest
      const post = f.private
        ? (
            c: typeof clients,
            d: typeof deployment,
            p: PostInferenceTaskParameters,
          ) =>
            postPrivateTask(c, d, {
              ...p,
              relay: f.relay as string,
              auditors: (f.auditor ?? []) as Address[],
            })
        : postInferenceTask
      const posted = await post(clients, deployment, {
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
      const { taskId, seed } = posted
      console.log(`task ${taskId} (seed ${seed})`)
      if (f.assign) {
        const bid = await assignBid(clients, deployment, {
          taskId,
          timeoutMs: Number(f.bidWindow) * 1000,
        })
        console.log(
          `assigned to ${bid.node} at ${formatEther(bid.price)} POCKET`,
        )
        if ('secret' in posted) {
          await sendPrivateInput(clients, deployment, {
            taskId,
            secret: posted.secret as PrivateTaskSecret,
          })
          console.log(`prompt sealed to ${bid.node} via ${f.relay}`)
        }
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
      const posted = await postedTask(clients, deployment, BigInt(id))
      const r =
        posted && parseSealedDescriptor(posted.input)
          ? await getPrivateTaskResult(clients, deployment, {
              taskId: BigInt(id),
            })
          : await getTaskResult(clients, deployment, BigInt(id))
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
