// The SDK's `embedding` namespace: the shared model endpoints plus
// embedString (one vector, as the model's sentence-transformers pooling and
// normalization give it), tokenize and countTokens.
import { z } from 'zod'
import type { ServerContext } from '../../context.ts'
import type { Namespace } from '../protocol.ts'
import { SdkError } from '../serializeError.ts'
import {
  modelEndpoints,
  parse,
  requireInstance,
  specifierSchema,
} from './modelEndpoints.ts'

const stringSchema = z.object({
  specifier: specifierSchema,
  inputString: z.string(),
})

export function embeddingNamespace(ctx: ServerContext): Namespace {
  const base = modelEndpoints(ctx, 'embedding')
  return {
    channels: base.channels,
    rpc: {
      ...base.rpc,
      embedString: async (param) => {
        const p = parse(
          z.object({
            modelSpecifier: specifierSchema,
            inputString: z.string(),
          }),
          param,
        )
        const inst = requireInstance(ctx, p.modelSpecifier, 'embedding')
        const lease = await ctx.residency.acquire(inst.identifier)
        try {
          if (!lease.model.embed)
            throw new SdkError(`"${inst.identifier}" cannot embed text.`)
          const { vectors } = await lease.model.embed([p.inputString])
          return { embedding: Array.from(vectors[0] ?? []) }
        } finally {
          lease.release()
        }
      },
      tokenize: (param) => {
        const p = parse(stringSchema, param)
        const { model } = requireInstance(ctx, p.specifier, 'embedding')
        return { tokens: model.tokenize(p.inputString) }
      },
      countTokens: (param) => {
        const p = parse(stringSchema, param)
        const { model } = requireInstance(ctx, p.specifier, 'embedding')
        return { tokenCount: model.tokenize(p.inputString).length }
      },
    },
  }
}
