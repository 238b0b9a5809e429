// POST /v1/chat/completions (OpenAI) and /api/v0/chat/completions (LM Studio
// v0, same body plus stats/model_info/runtime).
import type { RequestHandler } from 'express'
import type { ServerContext } from '../../context.ts'
import { parseChatCompletionRequest } from '../../validate/chatCompletionRequest.ts'
import { type Flavor, respond } from './respond.ts'

export function chatCompletions(
  ctx: ServerContext,
  flavor: Flavor = 'openai',
): RequestHandler {
  return async (req, res) => {
    await respond(
      ctx,
      req,
      res,
      await parseChatCompletionRequest(req.body),
      'chat',
      flavor,
    )
  }
}
