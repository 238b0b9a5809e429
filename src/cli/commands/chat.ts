// `pocket chat`: interactive multi-turn chat with streaming answers.
import type { Command } from 'commander'
import { addDraftOptions, type DraftFlags, openDraft } from '../openDraft.ts'
import { openModel } from '../openModel.ts'
import {
  addSamplingOptions,
  type SamplingFlags,
  toGenerateOptions,
} from '../parseOptions.ts'
import { DEFAULT_MODEL } from '../resolveModelPath.ts'
import { runChat } from '../runChat.ts'

type ChatFlags = SamplingFlags &
  DraftFlags & {
    model: string
    system?: string
    stats?: boolean
  }

export function registerChat(program: Command): void {
  const command = program
    .command('chat')
    .description('Chat with a model (reads one message per line when piped)')
    .option('-m, --model <model>', 'model path, id or alias', DEFAULT_MODEL)
    .option('-s, --system <text>', 'system message')
    .option('--stats', 'print statistics after each answer to stderr')
  addSamplingOptions(command)
  addDraftOptions(command)
  command.action(async (flags: ChatFlags) => {
    const model = await openModel(flags.model)
    const draft = await openDraft(flags).catch(async (error) => {
      await model.dispose()
      throw error
    })
    try {
      await runChat({
        model,
        system: flags.system,
        options: { ...toGenerateOptions(flags), ...draft.options },
        stats: flags.stats,
      })
    } finally {
      await model.dispose()
      await draft.dispose()
    }
  })
}
