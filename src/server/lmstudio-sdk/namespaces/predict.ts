// The SDK's `predict` channel: runs a prediction on a loaded instance and
// streams what `respond()`, `complete()` and `act()` consume — prompt
// processing progress, text fragments (reasoning marked with its type, the
// tags as structural fragments), tool-call generation events (start, name,
// argument fragments, end with the parsed request, or failed), and the
// final `success` packet with stats and the configs used. A `cancel`
// packet, or the connection closing, stops the generation; a cancelled
// prediction still ends with `success` (stopReason `userStopped`).
import { z } from 'zod'
import { ChatOutputParser } from '../../../engine/reasoning/chatOutputParser.ts'
import type { ChatOutputEvent } from '../../../engine/reasoning/types.ts'
import type { GenerationStats } from '../../../engine/types.ts'
import type { ServerContext } from '../../context.ts'
import { startGeneration } from '../../generation/startGeneration.ts'
import { chatHistorySchema } from '../chatHistory.ts'
import { collapse, kvStackSchema, toKVConfig } from '../kvConfig.ts'
import { instanceInfo } from '../modelInfo.ts'
import { toPredictionRequest } from '../predictionRequest.ts'
import type { ChannelHandle, ChannelHandler } from '../protocol.ts'
import { SdkError, serializeError } from '../serializeError.ts'
import { parse, requireInstance, specifierSchema } from './modelEndpoints.ts'

const predictSchema = z.object({
  modelSpecifier: specifierSchema,
  history: chatHistorySchema,
  predictionConfigStack: kvStackSchema,
  fuzzyPresetIdentifier: z.string().optional(),
  ignoreServerSessionConfig: z.boolean().optional(),
})

const STOP = {
  eos: 'eosFound',
  stopString: 'stopStringFound',
  maxTokens: 'maxPredictedTokensReached',
  contextFull: 'contextLengthReached',
  cancelled: 'userStopped',
} as const

export function predictChannel(ctx: ServerContext): ChannelHandler {
  return async (creation, channel) => {
    const p = parse(predictSchema, creation)
    if (p.fuzzyPresetIdentifier)
      throw new SdkError('Presets are not supported by this server.')
    const inst = requireInstance(ctx, p.modelSpecifier, 'llm')
    const config = collapse(p.predictionConfigStack)
    const { request, reasoningTags } = toPredictionRequest(
      inst.identifier,
      p.history,
      config,
    )
    const controller = new AbortController()
    const stop = () => controller.abort(new Error('cancelled'))
    channel.signal.addEventListener('abort', stop, { once: true })
    channel.onMessage((packet) => {
      if ((packet as { type?: string })?.type === 'cancel') stop()
    })
    // Sent after every prefill chunk while it runs, each value once.
    let last = -1
    const progress = (fraction: number) => {
      if (fraction <= last) return
      last = fraction
      channel.send({ type: 'promptProcessingProgress', progress: fraction })
    }
    progress(0)
    const gen = await startGeneration(
      ctx.residency,
      request,
      controller.signal,
      {
        counters: ctx.generations,
        reasoningTags: reasoningTags ?? ctx.reasoningTags,
        onPromptProgress: progress,
      },
    )
    progress(1)
    const parser = new ChatOutputParser(gen.output)
    const out = new FragmentWriter(channel, gen.output)
    try {
      for await (const chunk of gen.chunks) {
        if (controller.signal.aborted) break
        out.write(
          parser.push(chunk.text, chunk.tokens.length),
          chunk.tokens.length,
        )
      }
      if (!controller.signal.aborted) out.write(parser.flush(), 0)
    } finally {
      if (controller.signal.aborted) gen.cancel()
    }
    const stats = await gen.stats()
    const now = ctx.residency.find(inst.identifier) ?? inst
    channel.send({
      type: 'success',
      stats: sdkStats(stats, out.calledTools),
      modelInfo: instanceInfo(now),
      loadModelConfig: {
        fields: [{ key: 'llm.load.contextLength', value: now.contextLength }],
      },
      predictionConfig: toKVConfig(config),
    })
    channel.close()
  }
}

function sdkStats(s: GenerationStats, calledTools: boolean) {
  return {
    stopReason:
      s.stopReason === 'eos' && calledTools ? 'toolCalls' : STOP[s.stopReason],
    tokensPerSecond: s.tokensPerSecond,
    timeToFirstTokenSec: s.timeToFirstTokenMs / 1000,
    totalTimeSec: s.totalTimeMs / 1000,
    promptTokensCount: s.promptTokens,
    predictedTokensCount: s.completionTokens,
    totalTokensCount: s.promptTokens + s.completionTokens,
    ...(s.speculative
      ? {
          usedDraftModelKey: s.speculative.draftModel,
          totalDraftTokensCount: s.speculative.totalDraftTokens,
          acceptedDraftTokensCount: s.speculative.acceptedDraftTokens,
          rejectedDraftTokensCount: s.speculative.rejectedDraftTokens,
          ignoredDraftTokensCount: s.speculative.ignoredDraftTokens,
        }
      : {}),
  }
}

/** Parser events -> fragment and tool-call packets. */
class FragmentWriter {
  readonly #channel: ChannelHandle
  readonly #tags: { open: string; close: string } | undefined
  #inReasoning = false
  #openedByPrompt: boolean
  #tokens = 0
  #call: { id: string; name: string; args: string } | undefined
  calledTools = false

  constructor(
    channel: ChannelHandle,
    output: {
      reasoning?: { kind: string; tags?: { open: string; close: string } }
      startInReasoning?: boolean
    },
  ) {
    this.#channel = channel
    this.#tags =
      output.reasoning?.kind === 'tags' ? output.reasoning.tags : undefined
    this.#openedByPrompt = !!output.startInReasoning
  }

  write(events: ChatOutputEvent[], tokens: number): void {
    this.#tokens += tokens
    for (const e of events) {
      if (e.type === 'reasoning') {
        if (!e.text) continue
        if (!this.#inReasoning) {
          this.#inReasoning = true
          if (this.#tags && !this.#openedByPrompt)
            this.#fragment(this.#tags.open, 'reasoningStartTag', true)
        }
        this.#fragment(e.text, 'reasoning', false)
        continue
      }
      this.#endReasoning()
      if (e.type === 'content') {
        if (e.text) this.#fragment(e.text, 'none', false)
      } else if (e.type === 'toolCallStart') {
        this.calledTools = true
        this.#call = { id: e.id, name: e.name, args: '' }
        this.#send({ type: 'toolCallGenerationStart', toolCallId: e.id })
        this.#send({ type: 'toolCallGenerationNameReceived', name: e.name })
      } else if (e.type === 'toolCallArguments' && this.#call) {
        this.#call.args += e.fragment
        if (e.fragment)
          this.#send({
            type: 'toolCallGenerationArgumentFragmentGenerated',
            content: e.fragment,
          })
      } else if (e.type === 'toolCallEnd' && this.#call) {
        this.#endCall(this.#call)
        this.#call = undefined
      }
    }
  }

  #endReasoning(): void {
    if (!this.#inReasoning) return
    this.#inReasoning = false
    this.#openedByPrompt = false
    if (this.#tags) this.#fragment(this.#tags.close, 'reasoningEndTag', true)
  }

  #endCall(call: { id: string; name: string; args: string }): void {
    let args: unknown
    try {
      args = call.args.trim() ? JSON.parse(call.args) : {}
    } catch {
      args = undefined
    }
    if (!args || typeof args !== 'object' || Array.isArray(args)) {
      this.#send({
        type: 'toolCallGenerationFailed',
        error: serializeError(
          new SdkError(
            `The arguments of the call to "${call.name}" are not a JSON object.`,
          ),
        ),
        rawContent: call.args,
      })
      return
    }
    this.#send({
      type: 'toolCallGenerationEnd',
      toolCallRequest: {
        id: call.id,
        type: 'function',
        name: call.name,
        arguments: args,
      },
    })
  }

  #fragment(
    content: string,
    reasoningType: string,
    isStructural: boolean,
  ): void {
    const tokensCount = this.#tokens
    this.#tokens = 0
    this.#send({
      type: 'fragment',
      fragment: {
        content,
        tokensCount,
        containsDrafted: false,
        reasoningType,
        isStructural,
      },
    })
  }

  #send(packet: object): void {
    this.#channel.send(packet)
  }
}
