// POST /v1/responses body -> the GenerationRequest to run plus what the
// Response object echoes back. `previous_response_id` prepends the stored
// conversation (its input and output items); function tools, tool_choice and
// `text.format` become the same grammar-constrained structured output as
// chat completions; `reasoning.effort` is the template's `reasoning_effort`.
import type { ToolDefinition } from '../../../engine/structured/types.ts'
import type { GenerateOptions } from '../../../engine/types.ts'
import type { FetchImageOptions } from '../../../engine/vision/fetchImage.ts'
import { InvalidRequestError, ResponseNotFoundError } from '../../errors.ts'
import type { GenerationRequest } from '../../generation/types.ts'
import type { ResponseStore } from '../../state/ResponseStore.ts'
import { parseBody } from '../parseBody.ts'
import { renameSchemaParam } from '../renameSchemaParam.ts'
import { toStructuredRequest } from '../structured.ts'
import {
  type InputItem,
  type ResponsesRequestBody,
  responsesRequestSchema,
} from './schema.ts'
import { toChatMessages } from './toChat.ts'

export type ResponsesRequest = {
  body: ResponsesRequestBody
  generation: GenerationRequest
  /** The whole conversation's input items (stored with the response). */
  conversation: InputItem[]
}

export async function parseResponsesRequest(
  raw: unknown,
  store: ResponseStore,
  images: FetchImageOptions = {},
): Promise<ResponsesRequest> {
  const body = parseBody(responsesRequestSchema, raw)
  const input: InputItem[] =
    typeof body.input === 'string'
      ? [{ role: 'user', content: body.input }]
      : (body.input ?? [])
  let history: InputItem[] = []
  if (body.previous_response_id) {
    const previous = store.get(body.previous_response_id)
    if (!previous)
      throw new ResponseNotFoundError(
        body.previous_response_id,
        'previous_response_id',
      )
    history = [
      ...(previous.input as InputItem[]),
      ...((previous.response.output as InputItem[]) ?? []),
    ]
  }
  if (input.length === 0 && history.length === 0)
    throw new InvalidRequestError(
      "Missing required parameter: 'input'.",
      'input',
      'missing_required_parameter',
    )
  const conversation = [...history, ...input]
  const messages = await toChatMessages(
    body.instructions,
    conversation,
    (i) =>
      i < history.length
        ? `previous_response_id(item ${i})`
        : `input[${i - history.length}]`,
    images,
  )
  const options: GenerateOptions = {}
  if (body.max_output_tokens != null) options.maxTokens = body.max_output_tokens
  if (body.temperature != null) options.temperature = body.temperature
  if (body.top_p != null) options.topP = body.top_p
  const effort = body.reasoning?.effort
  if (effort)
    options.templateContext = {
      reasoning_effort: effort,
      ...(effort === 'none' ? { enable_thinking: false } : {}),
    }
  const format = body.text?.format
  const tools: ToolDefinition[] | undefined = body.tools?.map((t) => ({
    type: 'function',
    function: {
      name: t.name,
      ...(t.description ? { description: t.description } : {}),
      parameters: t.parameters ?? { type: 'object', properties: {} },
      ...(t.strict ? { strict: true } : {}),
    },
  }))
  const choice = body.tool_choice
  const structured = renameSchemaParam(
    () =>
      toStructuredRequest(
        {
          tools,
          tool_choice:
            choice && typeof choice === 'object'
              ? { type: 'function', function: { name: choice.name } }
              : choice,
          parallel_tool_calls: body.parallel_tool_calls,
          response_format:
            format?.type === 'json_schema'
              ? {
                  type: 'json_schema',
                  json_schema: {
                    name: format.name,
                    schema: format.schema,
                    strict: format.strict,
                    ...(format.description
                      ? { description: format.description }
                      : {}),
                  },
                }
              : format,
        },
        messages,
      ),
    [
      [/^tools\[(\d+)\]\.function\./, 'tools[$1].'],
      [/^tool_choice\.function\.name/, 'tool_choice.name'],
      [/^response_format\.json_schema\./, 'text.format.'],
      [/^response_format/, 'text.format'],
    ],
  )
  return {
    body,
    conversation,
    generation: {
      model: body.model,
      input: messages,
      options,
      structured,
      stream: !!body.stream,
      includeUsage: true,
      ttlSeconds: body.ttl,
    },
  }
}
