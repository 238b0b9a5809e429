// `pocket bench`: the in-process engine benchmark (bench/engine.ts) on one
// model, printed as a table. `npm run bench:engine` adds the peers.
import { SingleBar } from 'cli-progress'
import type { Command } from 'commander'
import { benchEngine } from '../../../bench/engine.ts'
import { formatTable } from '../../../bench/lib/formatTable.ts'
import { parseInteger, parseIntegerList } from '../parseOptions.ts'
import { DEFAULT_MODEL, resolveModelPath } from '../resolveModelPath.ts'

type BenchFlags = {
  model: string
  promptTokens: number[]
  genTokens: number
  runs: number
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('Measure prefill/decode speed of the engine on a model')
    .option('-m, --model <model>', 'model path, id or alias', DEFAULT_MODEL)
    .option(
      '--prompt-tokens <list>',
      'prompt lengths in tokens',
      parseIntegerList,
      [128, 512],
    )
    .option('--gen-tokens <n>', 'tokens generated per run', parseInteger, 64)
    .option(
      '--runs <n>',
      'runs per prompt length (median reported)',
      parseInteger,
      2,
    )
    .action(async (flags: BenchFlags) => {
      const modelPath = await resolveModelPath({ model: flags.model })
      const total = flags.promptTokens.length * flags.runs
      const bar = new SingleBar({
        format: 'bench [{bar}] {value}/{total} runs',
        stream: process.stderr,
        noTTYOutput: false,
      })
      bar.start(total, 0)
      try {
        const { rows } = await benchEngine({
          modelPath,
          promptLengths: flags.promptTokens,
          genTokens: flags.genTokens,
          runs: flags.runs,
          onRun: () => bar.increment(),
        })
        bar.stop()
        console.log(formatTable(rows))
      } finally {
        bar.stop()
      }
    })
}
