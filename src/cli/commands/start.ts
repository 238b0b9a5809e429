// `pocket start` (what `npm start` runs): the whole marketplace locally —
// chain, contracts, indexer, a node, an auditor, jurors and a requester
// posting real prompts to SmolLM2 — with a report per task (answer, receipt
// verification, payment) and the node's reputation from the indexer. The
// orchestration is src/marketplace/runLocalMarketplace.ts.
import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import { runLocalMarketplace } from '../../marketplace/runLocalMarketplace.ts'
import { DEFAULT_MODEL, resolveModelPath } from '../resolveModelPath.ts'

type StartFlags = {
  tasks: number
  exit?: boolean
  keep?: boolean
  port?: number
  model: string
  maxTokens: number
  verbose?: boolean
  webPort?: number
}

const positive = (name: string, max: number) => (value: string) => {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new InvalidArgumentError(`${name} must be an integer in 1..${max}.`)
  return n
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description(
      'Run the marketplace locally: chain, indexer, node, auditor and a requester posting prompts',
    )
    .option('--tasks <n>', 'number of demo prompts', positive('--tasks', 16), 3)
    .option(
      '--exit',
      'stop once every task is settled (exit 0 only if all were verified and paid)',
    )
    .option(
      '--keep',
      'keep serving after the tasks until Ctrl-C (default on a terminal)',
    )
    .option(
      '--port <port>',
      'chain port on 127.0.0.1 (default: a free port)',
      positive('--port', 65535),
    )
    .option('-m, --model <model>', 'model path, id or alias', DEFAULT_MODEL)
    .option(
      '-n, --max-tokens <n>',
      'tokens per answer',
      positive('--max-tokens', 512),
      48,
    )
    .option(
      '--web-port <port>',
      'port of the market view on 127.0.0.1 (default: a free port)',
      positive('--web-port', 65535),
    )
    .option('-v, --verbose', 'also print daemon and indexer logs')
    .action(async (flags: StartFlags, command: Command) => {
      if (flags.exit && flags.keep)
        command.error('error: --exit and --keep exclude each other.')
      // without a terminal (CI, pipes) nobody can press Ctrl-C: run bounded
      const keep = flags.keep ?? (!flags.exit && Boolean(process.stdin.isTTY))
      const modelPath = await resolveModelPath({ model: flags.model })
      const { ok, interrupted } = await runLocalMarketplace({
        tasks: flags.tasks,
        modelPath,
        port: flags.port,
        keep,
        maxTokens: flags.maxTokens,
        verbose: flags.verbose,
        webPort: flags.webPort,
      })
      process.exitCode = interrupted ? 130 : ok ? 0 : 1
    })
}
