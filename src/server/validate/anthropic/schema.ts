// Zod schemas of Anthropic's Messages API request bodies (POST /v1/messages
// and /v1/messages/count_tokens). Strict, as Anthropic's own API is: a field
// it does not define is a 400 naming it. Fields that only matter to
// Anthropic's cloud (cache_control, service_tier, metadata, ...) are accepted
// and have no effect locally; features a local model cannot have (server
// tools, files, MCP connectors, containers) are a 400 saying so.
import { z } from 'zod'

const cacheControl = z.unknown().optional()

export const textBlock = z.strictObject({
  type: z.literal('text'),
  text: z.string(),
  cache_control: cacheControl,
  citations: z.array(z.unknown()).nullish(),
})

const imageSource = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('base64'),
    media_type: z.enum(['image/jpeg', 'image/png', 'image/gif', 'image/webp']),
    data: z.string().min(1),
  }),
  z.strictObject({ type: z.literal('url'), url: z.string().min(1) }),
])

export const imageBlock = z.strictObject({
  type: z.literal('image'),
  source: imageSource,
  cache_control: cacheControl,
})

// Plain-text documents become text; PDFs and file ids need Anthropic's cloud.
const documentBlock = z.strictObject({
  type: z.literal('document'),
  source: z.strictObject({
    type: z.literal('text', {
      error:
        'only text documents ({"type": "text", "data": ...}) are supported',
    }),
    media_type: z.literal('text/plain'),
    data: z.string(),
  }),
  title: z.string().nullish(),
  context: z.string().nullish(),
  citations: z.unknown().optional(),
  cache_control: cacheControl,
})

const toolUseBlock = z.strictObject({
  type: z.literal('tool_use'),
  id: z.string().min(1),
  name: z.string().min(1),
  input: z.record(z.string(), z.unknown()),
  cache_control: cacheControl,
  caller: z.unknown().optional(),
})

const toolResultBlock = z.strictObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string().min(1),
  content: z
    .union([
      z.string(),
      z.array(z.discriminatedUnion('type', [textBlock, imageBlock])),
    ])
    .optional(),
  is_error: z.boolean().optional(),
  cache_control: cacheControl,
})

const thinkingBlock = z.strictObject({
  type: z.literal('thinking'),
  thinking: z.string(),
  signature: z.string().optional(),
})

const redactedThinkingBlock = z.strictObject({
  type: z.literal('redacted_thinking'),
  data: z.string(),
})

export const contentBlock = z.discriminatedUnion('type', [
  textBlock,
  imageBlock,
  documentBlock,
  toolUseBlock,
  toolResultBlock,
  thinkingBlock,
  redactedThinkingBlock,
])

export type ContentBlockParam = z.output<typeof contentBlock>

export const messageParam = z.strictObject({
  role: z.enum(['user', 'assistant']),
  content: z.union([z.string(), z.array(contentBlock)]),
})

export type MessageParam = z.output<typeof messageParam>

// Only client ("custom") tools: the model asks, the client runs them.
export const toolParam = z.strictObject({
  type: z
    .literal('custom', {
      error:
        'only client tools are supported (server tools such as web search or code execution are not)',
    })
    .nullish(),
  name: z.string(),
  description: z.string().optional(),
  input_schema: z.looseObject({ type: z.literal('object') }),
  strict: z.boolean().optional(),
  cache_control: cacheControl,
  eager_input_streaming: z.boolean().nullish(),
  input_examples: z.array(z.record(z.string(), z.unknown())).optional(),
  defer_loading: z.boolean().optional(),
  allowed_callers: z.array(z.string()).optional(),
})

const parallel = { disable_parallel_tool_use: z.boolean().optional() }
export const toolChoiceParam = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('auto'), ...parallel }),
  z.strictObject({ type: z.literal('any'), ...parallel }),
  z.strictObject({ type: z.literal('tool'), name: z.string(), ...parallel }),
  z.strictObject({ type: z.literal('none') }),
])

const display = z.enum(['summarized', 'omitted']).nullish()
export const thinkingParam = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('enabled'),
    budget_tokens: z.number().int().min(1),
    display,
  }),
  z.strictObject({ type: z.literal('disabled') }),
  z.strictObject({ type: z.literal('adaptive'), display }),
  z.strictObject({ type: z.literal('between_tools') }),
])

export const outputConfigParam = z.strictObject({
  effort: z.enum(['low', 'medium', 'high', 'xhigh', 'max']).nullish(),
  format: z
    .strictObject({
      type: z.literal('json_schema'),
      schema: z.record(z.string(), z.unknown()),
    })
    .nullish(),
})

const unsupported = (what: string) =>
  z
    .unknown()
    .refine((v) => v == null || (Array.isArray(v) && v.length === 0), {
      error: `${what} are not supported by a local server`,
    })
    .optional()

/** Fields both endpoints share: the prompt and what shapes it. */
const promptFields = {
  model: z.string().min(1),
  messages: z.array(messageParam).min(1, 'must contain at least one message'),
  system: z.union([z.string(), z.array(textBlock)]).optional(),
  tools: z.array(toolParam).optional(),
  tool_choice: toolChoiceParam.optional(),
  thinking: thinkingParam.optional(),
  output_config: outputConfigParam.optional(),
  cache_control: cacheControl,
  context_management: z.unknown().optional(),
  mcp_servers: unsupported('MCP connector servers'),
}

export const messagesRequestSchema = z.strictObject({
  ...promptFields,
  max_tokens: z.number().int().min(1),
  stream: z.boolean().optional(),
  stop_sequences: z.array(z.string()).optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  metadata: z.strictObject({ user_id: z.string().nullish() }).optional(),
  service_tier: z.enum(['auto', 'standard_only']).optional(),
  container: unsupported('Containers'),
  inference_geo: z.string().nullish(),
  speed: z.enum(['standard', 'fast']).nullish(),
  diagnostics: z.unknown().optional(),
  user_profile_id: z.string().nullish(),
  workspace_id: z.string().nullish(),
  // LM Studio's idle TTL for a model this request JIT-loads.
  ttl: z.number().int().positive().optional(),
})

export type MessagesRequestBody = z.output<typeof messagesRequestSchema>

export const countTokensRequestSchema = z.strictObject(promptFields)

export type CountTokensRequestBody = z.output<typeof countTokensRequestSchema>
