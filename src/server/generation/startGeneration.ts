// Starts one generation for an HTTP request: leases the model (JIT-loading
// it once if needed), checks what only the loaded model can tell (vocabulary
// for logit_bias, vision for images), starts the engine stream and waits for
// its first chunk, so errors raised before any token (context overflow,
// template errors) still become a proper HTTP status instead of a broken
// stream. The lease is released when the stream ends, fails or is cancelled.
import type { ChatOutputParserOptions } from '../../engine/reasoning/chatOutputParser.ts'
import type { ReasoningTags } from '../../engine/reasoning/types.ts'
import {
  type DraftModel,
  type GenerateOptions,
  type GenerationChunk,
  type GenerationStats,
  PROMPT_LOOKUP,
} from '../../engine/types.ts'
import type { Lease } from '../../models/residency/instance.ts'
import type { ModelResidency } from '../../models/residency/ModelResidency.ts'
import type { GenerationStreamLike } from '../../models/types.ts'
import { InvalidRequestError } from '../errors.ts'
import { hasImages } from '../validate/messages.ts'
import type { GenerationCounters } from './GenerationCounters.ts'
import { planGeneration } from './structured.ts'
import type { GenerationRequest } from './types.ts'

export type Generation = {
  lease: Lease
  /** All chunks, the peeked first one included; releases the lease at the end. */
  chunks: AsyncIterable<GenerationChunk>
  /** Final stats; resolves after `chunks` is exhausted. */
  stats: () => Promise<GenerationStats>
  cancel: () => void
  /** How to split a chat reply into reasoning, content and tool calls. */
  output: ChatOutputParserOptions
}

export type StartGenerationHooks = {
  onLoadStart?: (identifier: string) => void
  /** Progress (0..1) of the JIT load this request waits for. */
  onLoadProgress?: (fraction: number) => void
  /** The model is leased (after its JIT load, if any); nothing generated yet. */
  onLeased?: (lease: Lease) => void
  /**
   * Prompt processing progress (0..1), after every prefill chunk, while it
   * happens: it fires before startGeneration returns.
   */
  onPromptProgress?: (fraction: number) => void
  /** Told about every generation that reaches the engine. */
  counters?: GenerationCounters
  /** Reasoning tags configured for the server (default: from the template). */
  reasoningTags?: ReasoningTags
}

export async function startGeneration(
  residency: ModelResidency,
  request: GenerationRequest,
  signal: AbortSignal,
  hooks: StartGenerationHooks = {},
): Promise<Generation> {
  const lease = await residency.acquire(request.model, {
    ttlSeconds: request.ttlSeconds,
    contextLength: request.contextLength,
    onLoadStart: hooks.onLoadStart,
    onLoadProgress: hooks.onLoadProgress,
  })
  let draft: Lease | undefined
  const release = () => {
    lease.release()
    draft?.release()
  }
  let stream: GenerationStreamLike
  let iterator: AsyncIterator<GenerationChunk>
  let first: IteratorResult<GenerationChunk>
  let output: ChatOutputParserOptions = {}
  try {
    checkAgainstModel(lease, request)
    let draftModel: GenerateOptions['draftModel']
    if (request.draftModel === PROMPT_LOOKUP) draftModel = PROMPT_LOOKUP
    else if (request.draftModel) {
      draft = await residency.acquire(request.draftModel, {
        onLoadStart: hooks.onLoadStart,
      })
      draftModel = checkDraft(lease, draft)
    }
    if (signal.aborted) throw signal.reason
    hooks.onLeased?.(lease)
    const planned = planGeneration(lease.model, request, {
      reasoningTags: hooks.reasoningTags,
    })
    output = planned.output
    const onPrompt = hooks.onPromptProgress
    stream = lease.model.generate(planned.input, {
      ...planned.options,
      ...(draftModel ? { draftModel } : {}),
      ...(onPrompt
        ? {
            onPromptProgress: (done: number, total: number) =>
              onPrompt(total > 0 ? done / total : 1),
          }
        : {}),
      signal,
    })
    hooks.counters?.track(stream.result)
    iterator = stream[Symbol.asyncIterator]()
    first = await iterator.next()
  } catch (error) {
    release()
    throw error
  }
  const chunks = async function* () {
    try {
      if (first.done) return
      yield first.value
      while (true) {
        const next = await iterator.next()
        if (next.done) return
        yield next.value
      }
    } finally {
      if (!first.done) await iterator.return?.()
      release()
    }
  }
  return {
    lease,
    chunks: chunks(),
    // LM Studio reports the draft by the key it was asked for.
    stats: () =>
      stream.result.then((s) =>
        s.speculative && request.draftModel
          ? {
              ...s,
              speculative: { ...s.speculative, draftModel: request.draftModel },
            }
          : s,
      ),
    cancel: () => stream.cancel(),
    output,
  }
}

function checkDraft(lease: Lease, draft: Lease): DraftModel {
  const fail = (why: string) =>
    new InvalidRequestError(
      `Invalid 'draft_model': ${why}`,
      'draft_model',
      'invalid_value',
    )
  if (draft.identifier === lease.identifier)
    throw fail('the draft must be a different model than the one generating.')
  if (draft.model.info.type !== 'llm')
    throw fail(`"${draft.identifier}" is not a text generation model.`)
  if (draft.model.info.vocabSize !== lease.model.info.vocabSize)
    throw fail(
      `"${draft.identifier}" has a different vocabulary (${draft.model.info.vocabSize} tokens, the model has ${lease.model.info.vocabSize}).`,
    )
  if (!('native' in draft.model))
    throw fail(`"${draft.identifier}" cannot draft for this model.`)
  return draft.model as unknown as DraftModel
}

function checkAgainstModel(lease: Lease, request: GenerationRequest): void {
  const info = lease.model.info
  if (info.type === 'embeddings') {
    throw new InvalidRequestError(
      `Model "${lease.identifier}" is an embedding model; use /v1/embeddings.`,
      'model',
      'invalid_model_type',
    )
  }
  for (const id of Object.keys(request.options.logitBias ?? {})) {
    if (Number(id) >= info.vocabSize) {
      throw new InvalidRequestError(
        `Invalid 'logit_bias': token id ${id} is outside the vocabulary (size ${info.vocabSize}).`,
        'logit_bias',
        'invalid_value',
      )
    }
  }
  if (
    Array.isArray(request.input) &&
    hasImages(request.input) &&
    info.type !== 'vlm'
  ) {
    throw new InvalidRequestError(
      `Model "${lease.identifier}" does not support images.`,
      'messages',
      'unsupported_content',
    )
  }
}
