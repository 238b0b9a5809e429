// Zod schemas of OpenAI's Responses API request body (POST /v1/responses).
// Strict like the chat endpoint: a field the API does not define is a 400
// naming it. Bookkeeping fields are accepted; features that need OpenAI's
// cloud (built-in tools, files, background runs, conversations, stored
// prompts) are a 400 saying so.
import { z } from 'zod'

const inputText = z.strictObject({
  type: z.literal('input_text'),
  text: z.string(),
})
const inputImage = z.strictObject({
  type: z.literal('input_image'),
  image_url: z.string({
    error:
      'only image_url (a data: URI or http(s) URL) is supported, not file_id',
  }),
  detail: z.enum(['low', 'high', 'auto', 'original']).optional(),
  file_id: z.null().optional(),
})
const outputText = z.strictObject({
  type: z.literal('output_text'),
  text: z.string(),
  annotations: z.array(z.unknown()).optional(),
  logprobs: z.array(z.unknown()).optional(),
})
const refusal = z.strictObject({
  type: z.literal('refusal'),
  refusal: z.string(),
})
const contentPart = z.discriminatedUnion('type', [
  inputText,
  inputImage,
  outputText,
  refusal,
])

const status = z.enum(['in_progress', 'completed', 'incomplete']).optional()

const messageItem = z.strictObject({
  type: z.literal('message').optional(),
  id: z.string().optional(),
  status,
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.union([z.string(), z.array(contentPart)]),
  phase: z.unknown().optional(),
})

const functionCallItem = z.strictObject({
  type: z.literal('function_call'),
  id: z.string().optional(),
  status,
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
})

const functionCallOutputItem = z.strictObject({
  type: z.literal('function_call_output'),
  id: z.string().nullish(),
  status: status.nullable(),
  call_id: z.string().min(1),
  output: z.union([
    z.string(),
    z.array(z.discriminatedUnion('type', [inputText, inputImage])),
  ]),
})

const reasoningItem = z.strictObject({
  type: z.literal('reasoning'),
  id: z.string().optional(),
  status,
  summary: z.array(
    z.strictObject({ type: z.literal('summary_text'), text: z.string() }),
  ),
  content: z
    .array(
      z.strictObject({ type: z.literal('reasoning_text'), text: z.string() }),
    )
    .nullish(),
  encrypted_content: z.string().nullish(),
})

export const inputItem = z.union([
  messageItem,
  functionCallItem,
  functionCallOutputItem,
  reasoningItem,
])

export type InputItem = z.output<typeof inputItem>

export const functionTool = z.strictObject({
  type: z.literal('function', {
    error:
      'only function tools are supported (built-in tools such as web_search or file_search are not)',
  }),
  name: z.string(),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
})

export const toolChoiceParam = z.union([
  z.enum(['none', 'auto', 'required']),
  z.strictObject({ type: z.literal('function'), name: z.string() }),
])

const textFormat = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text') }),
  z.strictObject({ type: z.literal('json_object') }),
  z.strictObject({
    type: z.literal('json_schema'),
    name: z.string(),
    schema: z.record(z.string(), z.unknown()),
    description: z.string().optional(),
    strict: z.boolean().nullish(),
  }),
])

const unsupported = (what: string) =>
  z
    .unknown()
    .refine((v) => v == null || v === false, {
      error: `${what} not supported by a local server`,
    })
    .optional()

export const responsesRequestSchema = z.strictObject({
  model: z.string().min(1),
  input: z
    .union([z.string(), z.array(inputItem).min(1, 'must not be empty')])
    .optional(),
  instructions: z.string().nullish(),
  previous_response_id: z.string().nullish(),
  tools: z.array(functionTool).optional(),
  tool_choice: toolChoiceParam.optional(),
  parallel_tool_calls: z.boolean().nullish(),
  text: z
    .strictObject({
      format: textFormat.optional(),
      verbosity: z.enum(['low', 'medium', 'high']).nullish(),
    })
    .optional(),
  reasoning: z
    .strictObject({
      effort: z
        .enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh'])
        .nullish(),
      summary: z.enum(['auto', 'concise', 'detailed']).nullish(),
      generate_summary: z.enum(['auto', 'concise', 'detailed']).nullish(),
    })
    .nullish(),
  max_output_tokens: z.number().int().min(1).nullish(),
  max_tool_calls: z.number().int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  top_logprobs: z
    .number()
    .int()
    .max(0, 'log probabilities are not supported on /v1/responses')
    .nullish(),
  stream: z.boolean().nullish(),
  stream_options: z
    .strictObject({ include_obfuscation: z.boolean().optional() })
    .nullish(),
  store: z.boolean().nullish(),
  // Reasoning is returned as plain reasoning_text; nothing is encrypted.
  include: z
    .array(
      z.enum(['reasoning.encrypted_content', 'message.input_image.image_url']),
    )
    .nullish(),
  truncation: z
    .enum(['disabled', 'auto'], {
      error: 'must be "disabled" or "auto"',
    })
    .nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  user: z.string().optional(),
  service_tier: z.string().nullish(),
  safety_identifier: z.string().optional(),
  prompt_cache_key: z.string().optional(),
  prompt_cache_retention: z.string().nullish(),
  background: unsupported('background responses are'),
  conversation: unsupported('conversations are (use previous_response_id)'),
  prompt: unsupported('stored prompts are'),
  context_management: unsupported('context management is'),
  // LM Studio's idle TTL for a model this request JIT-loads.
  ttl: z.number().int().positive().optional(),
})

export type ResponsesRequestBody = z.output<typeof responsesRequestSchema>
