// `pocket generate [prompt]`: one completion, streamed to stdout. The prompt
// comes from the argument or, when absent, from stdin.
import type { Command } from 'commander'
import type { GenerationStats } from '../../engine/types.ts'
import { UsageError } from '../errors.ts'
import { formatStats } from '../formatStats.ts'
import { addDraftOptions, type DraftFlags, openDraft } from '../openDraft.ts'
import { openModel } from '../openModel.ts'
import {
  addSamplingOptions,
  type SamplingFlags,
  toGenerateOptions,
} from '../parseOptions.ts'
import { readStdin } from '../readStdin.ts'
import { DEFAULT_MODEL } from '../resolveModelPath.ts'

type GenerateFlags = SamplingFlags &
  DraftFlags & {
    model: string
    system?: string
    raw?: boolean
    verified?: boolean
    stats?: boolean
    json?: boolean
  }

export function registerGenerate(program: Command): void {
  const command = program
    .command('generate')
    .description('Generate a completion for a prompt (argument or stdin)')
    .argument('[prompt]', 'prompt text; read from stdin when omitted')
    .option('-m, --model <model>', 'model path, id or alias', DEFAULT_MODEL)
    .option('--system <text>', 'system message (chat mode only)')
    .option('--raw', 'send the prompt as is, without the chat template')
    .option(
      '--verified',
      'verified mode: batch 1, fixed chunking (needs --seed)',
    )
    .option('--stats', 'print generation statistics to stderr')
    .option('--json', 'print one JSON object with text and stats')
  addSamplingOptions(command)
  addDraftOptions(command)
  command.action(async (prompt: string | undefined, flags: GenerateFlags) => {
    await generate(prompt ?? (await promptFromStdin()), flags)
  })
}

async function promptFromStdin(): Promise<string> {
  if (process.stdin.isTTY)
    throw new UsageError('No prompt given.', {
      details: 'Pass it as an argument or pipe it on stdin.',
    })
  return (await readStdin()).trimEnd()
}

async function generate(prompt: string, flags: GenerateFlags): Promise<void> {
  if (prompt.trim() === '') throw new UsageError('The prompt is empty.')
  if (flags.raw && flags.system)
    throw new UsageError('--system cannot be combined with --raw.')
  const model = await openModel(flags.model)
  const draft = await openDraft(flags).catch(async (error) => {
    await model.dispose()
    throw error
  })
  const input = flags.system
    ? [
        { role: 'system' as const, content: flags.system },
        { role: 'user' as const, content: prompt },
      ]
    : prompt
  const controller = new AbortController()
  const onInterrupt = () => controller.abort()
  process.once('SIGINT', onInterrupt)
  try {
    const stream = model.generate(input, {
      ...toGenerateOptions(flags),
      ...draft.options,
      raw: flags.raw,
      verified: flags.verified,
      signal: controller.signal,
    })
    let text = ''
    for await (const chunk of stream) {
      if (flags.json) text += chunk.text
      else process.stdout.write(chunk.text)
    }
    const stats = await stream.result
    if (flags.json) printJson(text, stats)
    else process.stdout.write('\n')
    if (flags.stats) process.stderr.write(`${formatStats(stats)}\n`)
  } finally {
    process.off('SIGINT', onInterrupt)
    await model.dispose()
    await draft.dispose()
  }
}

function printJson(text: string, stats: GenerationStats): void {
  const { tokenIds, ...rest } = stats as GenerationStats & { native?: unknown }
  delete (rest as { native?: unknown }).native
  process.stdout.write(
    `${JSON.stringify({ text, stats: { ...rest, tokenIds } })}\n`,
  )
}
