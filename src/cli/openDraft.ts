// --draft-model / --num-draft-tokens for `generate` and `chat`: speculative
// decoding with a second model of the same vocabulary, or prompt lookup.
import type { Command } from 'commander'
import { type GenerateOptions, PROMPT_LOOKUP } from '../engine/types.ts'
import { openModel } from './openModel.ts'
import { parseInteger } from './parseOptions.ts'

export type DraftFlags = { draftModel?: string; numDraftTokens?: number }

export function addDraftOptions(command: Command): Command {
  return command
    .option(
      '--draft-model <model>',
      `speculative decoding: a draft model with the same vocabulary (path, id or alias), or "${PROMPT_LOOKUP}"`,
    )
    .option(
      '--num-draft-tokens <n>',
      'draft tokens proposed per step (default 4)',
      parseInteger,
    )
}

/** The draft options for generate(), and a dispose for the draft model. */
export async function openDraft(flags: DraftFlags): Promise<{
  options: Pick<GenerateOptions, 'draftModel' | 'numDraftTokens'>
  dispose: () => Promise<void>
}> {
  if (!flags.draftModel) return { options: {}, dispose: async () => {} }
  const numDraftTokens = flags.numDraftTokens
  if (flags.draftModel === PROMPT_LOOKUP)
    return {
      options: { draftModel: PROMPT_LOOKUP, numDraftTokens },
      dispose: async () => {},
    }
  const draft = await openModel(flags.draftModel)
  return {
    options: { draftModel: draft, numDraftTokens },
    dispose: () => draft.dispose(),
  }
}
