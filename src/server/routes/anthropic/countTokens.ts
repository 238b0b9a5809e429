// POST /v1/messages/count_tokens: `{ "input_tokens": N }`, the prompt tokens
// the same /v1/messages request would cost — system, messages and tools
// rendered through the model's chat template, as generation does. Loads the
// model if needed (its tokenizer and template decide the count).
import type { RequestHandler } from 'express'
import type { ServerContext } from '../../context.ts'
import { InvalidRequestError } from '../../errors.ts'
import { countPromptTokens } from '../../generation/countPromptTokens.ts'
import { checkAnthropicHeaders } from '../../validate/anthropic/headers.ts'
import { parseCountTokensRequest } from '../../validate/anthropic/messagesRequest.ts'

export function countTokens(ctx: ServerContext): RequestHandler {
  return async (req, res) => {
    checkAnthropicHeaders(req)
    const request = await parseCountTokensRequest(req.body)
    const lease = await ctx.residency.acquire(request.model)
    try {
      if (lease.model.info.type === 'embeddings')
        throw new InvalidRequestError(
          `Model "${lease.identifier}" is an embedding model; it has no chat prompt to count.`,
          'model',
          'invalid_model_type',
        )
      const inputTokens = countPromptTokens(lease.model, request, {
        reasoningTags: ctx.reasoningTags,
      })
      res.json({ input_tokens: inputTokens })
    } finally {
      lease.release()
    }
  }
}
