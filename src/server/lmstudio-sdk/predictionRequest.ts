// An SDK prediction (`predict` channel: chat history + the collapsed
// prediction KV config) -> the server's GenerationRequest. Honoured:
// temperature, maxPredictedTokens, stopStrings, top-k / top-p / min-p,
// repeat / presence / frequency penalties, seed, structured (JSON schema,
// grammar-constrained), tools (`force` or newer SDKs' `toolChoice`), the system prompt,
// reasoning parsing, a draft model, and prompt templates (jinja or manual:
// rendered here and run raw, which is how `model.complete()` works).
import { ChatTemplate } from '../../engine/chatTemplate.ts'
import type { ReasoningTags } from '../../engine/reasoning/types.ts'
import { responseFormatToGrammar } from '../../engine/structured/responseFormat.ts'
import type {
  JsonSchema,
  ToolDefinition,
} from '../../engine/structured/types.ts'
import type { ChatMessage, GenerateOptions } from '../../engine/types.ts'
import type { GenerationRequest } from '../generation/types.ts'
import { toStructuredRequest } from '../validate/structured.ts'
import { type ChatHistory, toChatMessages } from './chatHistory.ts'
import { checkboxField, numberField } from './kvConfig.ts'
import { SdkError } from './serializeError.ts'

const P = 'llm.prediction.'

type Structured = { type?: string; jsonSchema?: unknown; gbnfGrammar?: string }
type ToolUse = {
  type?: string
  tools?: ToolDefinition[]
  force?: boolean
}
type PromptTemplate = {
  type?: 'jinja' | 'manual'
  jinjaPromptTemplate?: { template: string }
  manualPromptTemplate?: Record<string, string>
  stopStrings?: string[]
}
type ReasoningParsing = {
  enabled?: boolean
  startString?: string
  endString?: string
}

export type PredictionRequest = {
  request: GenerationRequest
  /** Tags to parse when the request names its own (reasoningParsing). */
  reasoningTags?: ReasoningTags
}

export function toPredictionRequest(
  identifier: string,
  history: ChatHistory,
  config: Map<string, unknown>,
): PredictionRequest {
  let messages = toChatMessages(history)
  const system = config.get(`${P}systemPrompt`)
  if (typeof system === 'string' && system && messages[0]?.role !== 'system')
    messages = [{ role: 'system', content: system }, ...messages]
  const options = samplingOptions(config)
  const template = config.get(`${P}promptTemplate`) as
    | PromptTemplate
    | undefined
  let input: string | ChatMessage[] = messages
  if (template?.type) {
    input = renderTemplate(template, messages)
    options.raw = true
    if (template.stopStrings?.length)
      options.stop = [...(options.stop ?? []), ...template.stopStrings]
  }
  const structured = config.get(`${P}structured`) as Structured | undefined
  const tools = config.get(`${P}tools`) as ToolUse | undefined
  if (structured?.type === 'gbnf')
    throw new SdkError(
      'GBNF grammars are not supported by this server.',
      'Use a JSON schema (structured: { type: "json", jsonSchema }) or a zod schema.',
    )
  const jsonSchema =
    structured?.type === 'json'
      ? (structured.jsonSchema as JsonSchema)
      : undefined
  const toolList = tools?.type === 'toolArray' ? (tools.tools ?? []) : []
  const request: GenerationRequest = {
    model: identifier,
    input,
    options,
    stream: true,
    includeUsage: false,
  }
  if (typeof input === 'string') {
    if (toolList.length > 0)
      throw new SdkError('Tools need the model’s own prompt template.')
    if (jsonSchema !== undefined)
      options.grammar = responseFormatToGrammar(
        { type: 'json_schema', json_schema: { schema: jsonSchema } },
        'structured',
      )
  } else {
    request.structured = toStructuredRequest(
      {
        response_format:
          jsonSchema === undefined
            ? undefined
            : {
                type: 'json_schema',
                json_schema: { name: 'output', schema: jsonSchema },
              },
        tools: toolList.length ? toolList : undefined,
        tool_choice: toolList.length ? toolChoice(config, tools) : undefined,
      } as Parameters<typeof toStructuredRequest>[0],
      messages,
    )
  }
  const draft = config.get(`${P}speculativeDecoding.draftModel`)
  if (typeof draft === 'string' && draft) request.draftModel = draft
  const parsing = config.get(`${P}reasoning.parsing`) as
    | ReasoningParsing
    | undefined
  if (parsing?.enabled === false) request.parseReasoning = false
  const custom =
    parsing?.enabled &&
    parsing.startString &&
    parsing.endString &&
    (parsing.startString !== '<think>' || parsing.endString !== '</think>')
  return {
    request,
    ...(custom
      ? {
          reasoningTags: {
            open: parsing.startString as string,
            close: parsing.endString as string,
          },
        }
      : {}),
  }
}

/** Newer SDKs' `toolChoice` ({ type: "generic", mode }), else `force`. */
function toolChoice(
  config: Map<string, unknown>,
  tools: ToolUse | undefined,
): 'none' | 'auto' | 'required' {
  const choice = config.get(`${P}toolChoice`) as { mode?: unknown } | undefined
  const mode = choice?.mode
  if (mode === 'none' || mode === 'auto' || mode === 'required') return mode
  return tools?.force ? 'required' : 'auto'
}

function samplingOptions(config: Map<string, unknown>): GenerateOptions {
  const o: GenerateOptions = {}
  const set = <K extends keyof GenerateOptions>(
    k: K,
    v: GenerateOptions[K] | undefined,
  ) => {
    if (v !== undefined) o[k] = v
  }
  set('temperature', numberField(config, `${P}temperature`))
  set('maxTokens', checkboxField(config, `${P}maxPredictedTokens`, -1))
  const stop = config.get(`${P}stopStrings`)
  if (Array.isArray(stop) && stop.length)
    o.stop = stop.filter(
      (s): s is string => typeof s === 'string' && s.length > 0,
    )
  const topK = numberField(config, `${P}topKSampling`)
  if (topK !== undefined) o.topK = Math.max(0, topK)
  set('topP', checkboxField(config, `${P}topPSampling`, 1))
  set('minP', checkboxField(config, `${P}minPSampling`, 0))
  set('repetitionPenalty', checkboxField(config, `${P}repeatPenalty`, 1))
  set('presencePenalty', checkboxField(config, `${P}llama.presencePenalty`, 0))
  set(
    'frequencyPenalty',
    checkboxField(config, `${P}llama.frequencyPenalty`, 0),
  )
  const seed = checkboxField(config, `${P}seed`, -1)
  if (seed !== undefined && seed >= 0) o.seed = seed
  return o
}

function renderTemplate(t: PromptTemplate, messages: ChatMessage[]): string {
  const text = (m: ChatMessage) =>
    typeof m.content === 'string'
      ? m.content
      : (m.content ?? []).map((p) => (p.type === 'text' ? p.text : '')).join('')
  if (t.type === 'jinja') {
    const source = t.jinjaPromptTemplate?.template
    if (!source)
      throw new SdkError('promptTemplate.jinjaPromptTemplate is missing.')
    return new ChatTemplate(source).render(messages, {
      addGenerationPrompt: true,
    })
  }
  const m = t.manualPromptTemplate
  if (!m) throw new SdkError('promptTemplate.manualPromptTemplate is missing.')
  const part = (role: string) =>
    role === 'system' ? 'System' : role === 'assistant' ? 'Assistant' : 'User'
  return (
    messages
      .map((msg) => {
        const r = part(msg.role)
        return `${m[`before${r}`] ?? ''}${text(msg)}${m[`after${r}`] ?? ''}`
      })
      .join('') + (m.beforeAssistant ?? '')
  )
}
