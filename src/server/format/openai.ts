// OpenAI response shapes built from engine results: usage (with the prefix
// cache's cached_tokens), finish reasons, and logprobs in both the chat and
// the legacy completions formats.
import { randomBytes } from 'node:crypto'
import type {
  GenerationStats,
  StopReason,
  TokenLogprob,
} from '../../engine/types.ts'

export const newId = (prefix: string) =>
  `${prefix}-${randomBytes(12).toString('base64url').toLowerCase()}`
export const nowSeconds = () => Math.floor(Date.now() / 1000)

export type FinishReason = 'stop' | 'length'

export function finishReason(reason: StopReason): FinishReason {
  return reason === 'maxTokens' || reason === 'contextFull' ? 'length' : 'stop'
}

/** `usage`; chat replies also say how many completion tokens were reasoning. */
export function usageOf(stats: GenerationStats, reasoningTokens?: number) {
  return {
    prompt_tokens: stats.promptTokens,
    completion_tokens: stats.completionTokens,
    total_tokens: stats.promptTokens + stats.completionTokens,
    prompt_tokens_details: { cached_tokens: stats.cachedTokens },
    ...(reasoningTokens !== undefined
      ? { completion_tokens_details: { reasoning_tokens: reasoningTokens } }
      : {}),
  }
}

const bytes = (text: string) => [...Buffer.from(text, 'utf8')]

/** `choices[].logprobs` of chat completions. */
export function chatLogprobs(items: TokenLogprob[]) {
  return {
    content: items.map((t) => ({
      token: t.text,
      logprob: t.logprob,
      bytes: bytes(t.text),
      top_logprobs: t.top.map((a) => ({
        token: a.text,
        logprob: a.logprob,
        bytes: bytes(a.text),
      })),
    })),
    refusal: null,
  }
}

/** `choices[].logprobs` of legacy completions; `offset` = chars before. */
export function completionLogprobs(items: TokenLogprob[], offset = 0) {
  const textOffset: number[] = []
  let at = offset
  for (const t of items) {
    textOffset.push(at)
    at += t.text.length
  }
  return {
    tokens: items.map((t) => t.text),
    token_logprobs: items.map((t) => t.logprob),
    top_logprobs: items.map((t) =>
      Object.fromEntries(t.top.map((a) => [a.text, a.logprob])),
    ),
    text_offset: textOffset,
  }
}
