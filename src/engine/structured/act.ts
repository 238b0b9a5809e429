// model.act(chat, tools, opts): the multi-round tool loop. Each round
// generates with the tools' grammar; if the model calls tools, each call's
// arguments are parsed and checked, the guard may veto it, the tool runs, and
// its result goes back as a `tool` message; the loop ends when the model
// answers without calls, after maxRounds, or when the signal aborts.
import type { Model } from '../model.ts'
import { ChatOutputParser } from '../reasoning/chatOutputParser.ts'
import { planChatOutput } from '../reasoning/planChatOutput.ts'
import type { ChatMessage, GenerateOptions, GenerationStats } from '../types.ts'
import { StructuredOutputError } from './errors.ts'
import { type StructuredSpec, toStructured } from './toJsonSchema.ts'
import { detectToolCallFormat } from './toolFormats.ts'
import { toolGrammar } from './toolGrammar.ts'
import { prepareToolChat } from './toolPrompt.ts'
import type {
  Grammar,
  ParsedToolCall,
  ToolChoice,
  ToolDefinition,
} from './types.ts'

export type ActTool = {
  name: string
  description?: string
  /** zod 4 schema or JSON schema of the arguments object. */
  parameters: StructuredSpec
  implementation: (
    // biome-ignore lint/suspicious/noExplicitAny: typed by the caller's schema
    args: any,
    ctx: { signal?: AbortSignal; call: ParsedToolCall },
  ) => unknown
}

export type ActRound = {
  index: number
  content: string
  /** The model's reasoning this round (`<think>` block, Harmony analysis). */
  reasoning: string
  toolCalls: ParsedToolCall[]
  /** Tool messages appended this round, in call order. */
  results: ChatMessage[]
  stats: GenerationStats
}

export type ActOptions = Omit<GenerateOptions, 'signal'> & {
  maxRounds?: number // default 8
  signal?: AbortSignal
  toolChoice?: ToolChoice // first round; later rounds are 'auto'
  /** Runs before each tool; false skips it (the model is told it was refused). */
  guard?: (call: ParsedToolCall) => boolean | Promise<boolean>
  onRoundStart?: (index: number) => void
  onRoundEnd?: (round: ActRound) => void
  onMessage?: (message: ChatMessage) => void
}

export type ActReturnType = {
  rounds: ActRound[]
  messages: ChatMessage[]
  /** The last round's text. */
  content: string
  stopReason: 'answered' | 'maxRounds' | 'aborted'
}

export async function act(
  model: Model,
  chat: string | ChatMessage[],
  tools: ActTool[],
  options: ActOptions = {},
): Promise<ActReturnType> {
  const {
    maxRounds = 8,
    signal,
    guard,
    onRoundStart,
    onRoundEnd,
    onMessage,
    toolChoice,
    ...generate
  } = options
  const prepared = tools.map((t) => ({
    tool: t,
    ...toStructured(t.parameters),
  }))
  const definitions: ToolDefinition[] = prepared.map(({ tool, schema }) => ({
    type: 'function',
    function: {
      name: tool.name,
      ...(tool.description ? { description: tool.description } : {}),
      parameters: schema,
    },
  }))
  const format = detectToolCallFormat(
    model.template.source,
    model.info.architecture,
  )
  const messages: ChatMessage[] =
    typeof chat === 'string' ? [{ role: 'user', content: chat }] : [...chat]
  const rounds: ActRound[] = []
  let callCount = 0
  const newId = () => `call_${Date.now().toString(36)}_${callCount++}`
  for (let index = 0; index < maxRounds; index++) {
    if (signal?.aborted) return done('aborted')
    onRoundStart?.(index)
    const choice = index === 0 ? (toolChoice ?? 'auto') : 'auto'
    const chatForModel = prepareToolChat({
      messages,
      tools: definitions,
      format,
      templateSource: model.template.source,
    })
    const grammar = toolGrammar({
      tools: definitions,
      toolChoice: choice,
      format,
    })
    const templateContext = {
      ...generate.templateContext,
      ...chatForModel.templateContext,
    }
    const output = planChatOutput({
      templateSource: model.template.source,
      renderPrompt: () =>
        model.applyChatTemplate(chatForModel.messages, {
          extra: templateContext,
        }),
    })
    const stream = model.generate(chatForModel.messages, {
      ...generate,
      signal,
      templateContext,
      ...(output.keepSpecialTokens
        ? {
            keepSpecialTokens: output.keepSpecialTokens,
            stopTokens: output.stopTokens,
          }
        : {}),
      ...(grammar ? { grammar } : {}),
    } as GenerateOptions & { grammar?: Grammar })
    const parser = new ChatOutputParser({
      reasoning: output.reasoning,
      startInReasoning: output.startInReasoning,
      openHeader: output.openHeader,
      toolCallFormat: format,
      newId,
    })
    let content = ''
    let reasoning = ''
    const take = (events: ReturnType<ChatOutputParser['push']>) => {
      for (const e of events)
        if (e.type === 'content') content += e.text
        else if (e.type === 'reasoning') reasoning += e.text
    }
    for await (const chunk of stream) take(parser.push(chunk.text))
    take(parser.flush())
    const stats = await stream.result
    const calls = parser.calls
    const assistant: ChatMessage = {
      role: 'assistant',
      content: content || null,
      ...(reasoning ? { reasoning_content: reasoning } : {}),
      ...(calls.length
        ? {
            tool_calls: calls.map((c) => ({
              id: c.id,
              type: 'function' as const,
              function: { name: c.name, arguments: c.arguments },
            })),
          }
        : {}),
    }
    messages.push(assistant)
    onMessage?.(assistant)
    const round: ActRound = {
      index,
      content,
      reasoning,
      toolCalls: calls,
      results: [],
      stats,
    }
    rounds.push(round)
    if (stats.stopReason === 'cancelled' || signal?.aborted) {
      onRoundEnd?.(round)
      return done('aborted')
    }
    if (calls.length === 0) {
      onRoundEnd?.(round)
      return done('answered')
    }
    for (const call of calls) {
      const result = await runCall(call)
      const message: ChatMessage = {
        role: 'tool',
        tool_call_id: call.id,
        name: call.name,
        content: result,
      }
      messages.push(message)
      round.results.push(message)
      onMessage?.(message)
    }
    onRoundEnd?.(round)
  }
  return done('maxRounds')

  function done(stopReason: ActReturnType['stopReason']): ActReturnType {
    return {
      rounds,
      messages,
      content: rounds.at(-1)?.content ?? '',
      stopReason,
    }
  }

  async function runCall(call: ParsedToolCall): Promise<string> {
    const entry = prepared.find((p) => p.tool.name === call.name)
    if (!entry) return JSON.stringify({ error: `Unknown tool "${call.name}".` })
    let args: unknown
    try {
      args = entry.parse(JSON.parse(call.arguments))
    } catch (e) {
      const why =
        e instanceof StructuredOutputError
          ? (e.details ?? e.shortMessage)
          : 'arguments are not valid JSON'
      return JSON.stringify({
        error: `Invalid arguments for "${call.name}": ${why}`,
      })
    }
    if (guard && !(await guard(call)))
      return JSON.stringify({
        error: `The call to "${call.name}" was not allowed.`,
      })
    try {
      const value = await entry.tool.implementation(args, { signal, call })
      return typeof value === 'string' ? value : JSON.stringify(value ?? null)
    } catch (e) {
      return JSON.stringify({
        error: `"${call.name}" failed: ${(e as Error)?.message ?? String(e)}`,
      })
    }
  }
}
