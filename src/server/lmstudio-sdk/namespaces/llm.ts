// The SDK's `llm` namespace: the shared model endpoints, `predict`, and the
// RPCs on a loaded LLM — applyPromptTemplate (the chat rendered by the
// model's template, tools included), tokenize and countTokens.
import { z } from 'zod'
import type { ServerContext } from '../../context.ts'
import { chatHistorySchema, toChatMessages } from '../chatHistory.ts'
import { kvStackSchema } from '../kvConfig.ts'
import type { Namespace } from '../protocol.ts'
import { SdkError } from '../serializeError.ts'
import {
  modelEndpoints,
  parse,
  requireInstance,
  specifierSchema,
} from './modelEndpoints.ts'
import { predictChannel } from './predict.ts'

const tokenizeSchema = z.object({
  specifier: specifierSchema,
  inputString: z.string(),
})

type Special = {
  tokenizer?: { special?: { bosToken?: string; eosToken?: string } }
}

export function llmNamespace(ctx: ServerContext): Namespace {
  const base = modelEndpoints(ctx, 'llm')
  return {
    channels: { ...base.channels, predict: predictChannel(ctx) },
    rpc: {
      ...base.rpc,
      applyPromptTemplate: (param) => {
        const p = parse(
          z.object({
            specifier: specifierSchema,
            history: chatHistorySchema,
            predictionConfigStack: kvStackSchema,
            opts: z.object({
              omitBosToken: z.boolean().optional(),
              omitEosToken: z.boolean().optional(),
              toolDefinitions: z.array(z.unknown()).optional(),
            }),
          }),
          param,
        )
        const { model } = requireInstance(ctx, p.specifier, 'llm')
        let formatted = model.applyChatTemplate(toChatMessages(p.history), {
          ...(p.opts.toolDefinitions ? { tools: p.opts.toolDefinitions } : {}),
        })
        const special = (model as Special).tokenizer?.special
        if (
          p.opts.omitBosToken &&
          special?.bosToken &&
          formatted.startsWith(special.bosToken)
        )
          formatted = formatted.slice(special.bosToken.length)
        if (
          p.opts.omitEosToken &&
          special?.eosToken &&
          formatted.endsWith(special.eosToken)
        )
          formatted = formatted.slice(0, -special.eosToken.length)
        return { formatted }
      },
      tokenize: (param) => {
        const p = parse(tokenizeSchema, param)
        const { model } = requireInstance(ctx, p.specifier, 'llm')
        return { tokens: model.tokenize(p.inputString) }
      },
      countTokens: (param) => {
        const p = parse(tokenizeSchema, param)
        const { model } = requireInstance(ctx, p.specifier, 'llm')
        return { tokenCount: model.tokenize(p.inputString).length }
      },
      preloadDraftModel: async (param) => {
        const p = parse(
          z.object({ specifier: specifierSchema, draftModelKey: z.string() }),
          param,
        )
        requireInstance(ctx, p.specifier, 'llm')
        const lease = await ctx.residency.acquire(p.draftModelKey)
        lease.release()
        if (lease.model.info.type !== 'llm')
          throw new SdkError(`"${p.draftModelKey}" is not a text model.`)
        return undefined
      },
    },
  }
}
