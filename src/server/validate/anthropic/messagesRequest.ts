// Anthropic Messages request bodies -> the typed GenerationRequest every
// generation endpoint runs. tools / tool_choice / output_config.format map
// onto the same grammar-constrained structured output as chat completions
// (tool_choice any -> required, tool -> a named function, none -> none);
// `thinking` and `output_config.effort` become chat-template variables
// (`enable_thinking`, `reasoning_effort`), which reasoning templates read.
import type {
  ToolChoice,
  ToolDefinition,
} from '../../../engine/structured/types.ts'
import type { ChatMessage, GenerateOptions } from '../../../engine/types.ts'
import type { FetchImageOptions } from '../../../engine/vision/fetchImage.ts'
import { InvalidRequestError } from '../../errors.ts'
import type { GenerationRequest } from '../../generation/types.ts'
import { parseBody } from '../parseBody.ts'
import { renameSchemaParam } from '../renameSchemaParam.ts'
import { type StructuredRequest, toStructuredRequest } from '../structured.ts'
import {
  type CountTokensRequestBody,
  countTokensRequestSchema,
  type MessagesRequestBody,
  messagesRequestSchema,
} from './schema.ts'
import { toChatMessages } from './toChat.ts'

export async function parseMessagesRequest(
  body: unknown,
  images: FetchImageOptions = {},
): Promise<GenerationRequest> {
  const b = parseBody(messagesRequestSchema, body)
  const { input, structured, templateContext } = await toPrompt(b, images)
  const stop = b.stop_sequences?.filter((s) => s.length > 0)
  const options: GenerateOptions = { maxTokens: b.max_tokens }
  if (b.temperature !== undefined) options.temperature = b.temperature
  if (b.top_p !== undefined) options.topP = b.top_p
  if (b.top_k !== undefined) options.topK = b.top_k
  if (stop?.length) options.stop = stop
  if (templateContext) options.templateContext = templateContext
  return {
    model: b.model,
    input,
    options,
    structured,
    stream: !!b.stream,
    includeUsage: true,
    ttlSeconds: b.ttl,
  }
}

/** count_tokens: the same prompt, nothing generated. */
export async function parseCountTokensRequest(
  body: unknown,
  images: FetchImageOptions = {},
): Promise<GenerationRequest> {
  const b = parseBody(countTokensRequestSchema, body)
  const { input, structured, templateContext } = await toPrompt(b, images)
  return {
    model: b.model,
    input,
    options: templateContext ? { templateContext } : {},
    structured,
    stream: false,
    includeUsage: false,
  }
}

async function toPrompt(
  b: CountTokensRequestBody | MessagesRequestBody,
  images: FetchImageOptions,
): Promise<{
  input: ChatMessage[]
  structured: StructuredRequest | undefined
  templateContext: Record<string, unknown> | undefined
}> {
  const last = b.messages.at(-1)
  if (last?.role === 'assistant')
    throw new InvalidRequestError(
      `Invalid 'messages[${b.messages.length - 1}].role': continuing a final assistant message (prefill) is not supported; end with a user message.`,
      `messages[${b.messages.length - 1}].role`,
      'unsupported_value',
    )
  const input = await toChatMessages(b.system, b.messages, images)
  return {
    input,
    structured: toStructured(b, input),
    templateContext: toTemplateContext(b),
  }
}

function toStructured(
  b: CountTokensRequestBody,
  messages: ChatMessage[],
): StructuredRequest | undefined {
  const tools: ToolDefinition[] | undefined = b.tools?.map((t) => ({
    type: 'function',
    function: {
      name: t.name,
      ...(t.description ? { description: t.description } : {}),
      parameters: t.input_schema,
      ...(t.strict !== undefined ? { strict: t.strict } : {}),
    },
  }))
  const c = b.tool_choice
  const choice: ToolChoice | undefined =
    c === undefined
      ? undefined
      : c.type === 'any'
        ? 'required'
        : c.type === 'tool'
          ? { type: 'function', function: { name: c.name } }
          : c.type
  const format = b.output_config?.format
  return renameSchemaParam(
    () =>
      toStructuredRequest(
        {
          tools,
          tool_choice: choice,
          parallel_tool_calls:
            c && c.type !== 'none' && c.disable_parallel_tool_use
              ? false
              : undefined,
          response_format: format
            ? {
                type: 'json_schema',
                json_schema: { name: 'output', schema: format.schema },
              }
            : undefined,
        },
        messages,
      ),
    [
      [/^tools\[(\d+)\]\.function\.parameters/, 'tools[$1].input_schema'],
      [/^tools\[(\d+)\]\.function\./, 'tools[$1].'],
      [/^tool_choice\.function\.name/, 'tool_choice.name'],
      [/^response_format\.json_schema\.schema/, 'output_config.format.schema'],
      [/^response_format/, 'output_config.format'],
    ],
  )
}

function toTemplateContext(
  b: CountTokensRequestBody,
): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {}
  const thinking = b.thinking?.type
  if (thinking === 'enabled' || thinking === 'adaptive')
    out.enable_thinking = true
  if (thinking === 'disabled') out.enable_thinking = false
  const effort = b.output_config?.effort
  // gpt-oss templates know low / medium / high.
  if (effort)
    out.reasoning_effort =
      effort === 'xhigh' || effort === 'max' ? 'high' : effort
  return Object.keys(out).length > 0 ? out : undefined
}
