// Server-side tool use with MCP: generate with the MCP servers' tools (next
// to the client's own function tools), run the calls the model makes on
// their servers, feed the results back as `tool` messages and generate
// again, until the model answers without calling an MCP tool, calls a
// client tool (the client runs that one), or the round limit is reached
// (the last round may not call tools). The caller streams each round.
import { ChatOutputParser } from '../../engine/reasoning/chatOutputParser.ts'
import type { ChatOutputEvent } from '../../engine/reasoning/types.ts'
import type {
  ParsedToolCall,
  ToolChoice,
  ToolDefinition,
} from '../../engine/structured/types.ts'
import type { ChatMessage, GenerationStats } from '../../engine/types.ts'
import type { ServerContext } from '../context.ts'
import { InvalidRequestError } from '../errors.ts'
import {
  type Generation,
  type StartGenerationHooks,
  startGeneration,
} from '../generation/startGeneration.ts'
import type { GenerationRequest } from '../generation/types.ts'
import type { McpServerRef, McpSession } from './McpHub.ts'

export type McpCallResult = { output: string } | { error: string }

export type McpTools = {
  sessions: McpSession[]
  /** Tool name -> the session serving it. */
  byName: Map<string, McpSession>
  close(): Promise<void>
}

/** Opens every server a request names; tool names must not clash. */
export async function openMcpTools(
  ctx: ServerContext,
  refs: { ref: McpServerRef; param: string }[],
  clientTools: string[],
): Promise<McpTools> {
  const sessions: McpSession[] = []
  const close = () => Promise.all(sessions.map((s) => s.close())).then(() => {})
  try {
    for (const { ref, param } of refs)
      sessions.push(await ctx.mcp.open(ref, param))
    const byName = new Map<string, McpSession>()
    for (const [i, s] of sessions.entries())
      for (const t of s.tools) {
        const other =
          byName.get(t.name)?.label ??
          (clientTools.includes(t.name) ? 'the request' : undefined)
        if (other)
          throw new InvalidRequestError(
            `Tool "${t.name}" of MCP server "${s.label}" clashes with one of ${other}.`,
            refs[i]?.param ?? null,
            'tool_name_conflict',
          )
        byName.set(t.name, s)
      }
    return { sessions, byName, close }
  } catch (e) {
    await close()
    throw e
  }
}

/** One round's output: the parser's events, with the text kept. */
export class RoundOutput {
  readonly #parser: ChatOutputParser
  content = ''
  reasoning = ''
  constructor(parser: ChatOutputParser) {
    this.#parser = parser
  }
  push(text: string, tokens: number): ChatOutputEvent[] {
    return this.#keep(this.#parser.push(text, tokens))
  }
  flush(): ChatOutputEvent[] {
    return this.#keep(this.#parser.flush())
  }
  get calls(): ParsedToolCall[] {
    return this.#parser.calls
  }
  get reasoningTokens(): number {
    return this.#parser.reasoningTokens
  }
  #keep(events: ChatOutputEvent[]): ChatOutputEvent[] {
    for (const e of events)
      if (e.type === 'content') this.content += e.text
      else if (e.type === 'reasoning') this.reasoning += e.text
    return events
  }
}

export type ToolLoopResult = {
  /** The last round's stats, with prompt/completion/cached tokens summed. */
  stats: GenerationStats
  reasoningTokens: number
  /** The conversation with every round's calls and results (not the last answer). */
  messages: ChatMessage[]
  /** The last round's calls (not run: none, or one names no MCP tool). */
  calls: ParsedToolCall[]
}

export async function runToolLoop(p: {
  ctx: ServerContext
  request: GenerationRequest
  tools: McpTools
  signal: AbortSignal
  maxRounds?: number
  /** Streams one round: must consume `gen.chunks` through `round`. */
  consume: (gen: Generation, round: RoundOutput) => Promise<void>
  /** Load and prompt-processing progress of every round's generation. */
  hooks?: Pick<
    StartGenerationHooks,
    'onLoadStart' | 'onLoadProgress' | 'onLeased' | 'onPromptProgress'
  >
  /** A call is about to run on its server. */
  onCallStart?: (call: ParsedToolCall) => void
  onCall?: (call: ParsedToolCall, result: McpCallResult) => void
}): Promise<ToolLoopResult> {
  const maxRounds = p.maxRounds ?? 8
  const base = p.request.structured ?? {}
  const mcpDefs: ToolDefinition[] = [...p.tools.byName.entries()].map(
    ([name, s]) => {
      const t = s.tools.find((x) => x.name === name)
      return {
        type: 'function',
        function: {
          name,
          ...(t?.description ? { description: t.description } : {}),
          parameters: t?.inputSchema ?? { type: 'object' },
        },
      }
    },
  )
  let messages = p.request.input as ChatMessage[]
  const total = { prompt: 0, completion: 0, cached: 0, reasoning: 0 }
  for (let round = 0; ; round++) {
    const last = round === maxRounds - 1
    const choice: ToolChoice =
      base.tool_choice === 'none' || last
        ? 'none'
        : round === 0
          ? (base.tool_choice ?? 'auto')
          : 'auto'
    const gen = await startGeneration(
      p.ctx.residency,
      {
        ...p.request,
        input: messages,
        structured: {
          ...base,
          tools: [...(base.tools ?? []), ...mcpDefs],
          tool_choice: choice,
        },
      },
      p.signal,
      {
        ...p.hooks,
        counters: p.ctx.generations,
        reasoningTags: p.ctx.reasoningTags,
      },
    )
    const out = new RoundOutput(new ChatOutputParser(gen.output))
    try {
      await p.consume(gen, out)
    } catch (e) {
      gen.cancel()
      throw e
    }
    const stats = await gen.stats()
    total.prompt += stats.promptTokens
    total.completion += stats.completionTokens
    total.cached += stats.cachedTokens
    total.reasoning += out.reasoningTokens
    const calls = out.calls
    const done =
      calls.length === 0 ||
      calls.some((c) => !p.tools.byName.has(c.name)) ||
      p.signal.aborted
    if (done)
      return {
        stats: {
          ...stats,
          promptTokens: total.prompt,
          completionTokens: total.completion,
          cachedTokens: total.cached,
        },
        reasoningTokens: total.reasoning,
        messages,
        calls,
      }
    const results: ChatMessage[] = []
    for (const call of calls) {
      p.onCallStart?.(call)
      const result = await runCall(p.tools, call, p.signal)
      p.onCall?.(call, result)
      results.push({
        role: 'tool',
        tool_call_id: call.id,
        name: call.name,
        content: 'output' in result ? result.output : `Error: ${result.error}`,
      })
    }
    messages = [
      ...messages,
      {
        role: 'assistant',
        content: out.content || null,
        tool_calls: calls.map((c) => ({
          id: c.id,
          type: 'function',
          function: { name: c.name, arguments: c.arguments },
        })),
        ...(out.reasoning ? { reasoning_content: out.reasoning } : {}),
      } as ChatMessage,
      ...results,
    ]
  }
}

async function runCall(
  tools: McpTools,
  call: ParsedToolCall,
  signal: AbortSignal,
): Promise<McpCallResult> {
  let args: unknown
  try {
    args = call.arguments.trim() ? JSON.parse(call.arguments) : {}
  } catch {
    return { error: `the arguments are not valid JSON: ${call.arguments}` }
  }
  try {
    return {
      output:
        (await tools.byName.get(call.name)?.call(call.name, args, signal)) ??
        '',
    }
  } catch (e) {
    return { error: (e as Error).message }
  }
}
