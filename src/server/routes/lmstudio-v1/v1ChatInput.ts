// The body of LM Studio's POST /api/v1/chat and what it becomes: the
// conversation (a stored thread continued through previous_response_id,
// the system prompt, the new input with images) and the GenerationRequest.
import { z } from 'zod'
import type { ChatMessage, ContentPart } from '../../../engine/types.ts'
import type { ServerContext } from '../../context.ts'
import { InvalidRequestError } from '../../errors.ts'
import type { GenerationRequest } from '../../generation/types.ts'
import { parseBody } from '../../validate/parseBody.ts'
import { samplingFields, toGenerateOptions } from '../../validate/sampling.ts'

const item = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('message'), content: z.string() }),
  z.strictObject({ type: z.literal('image'), data_url: z.string() }),
])
// MCP servers: "mcp/<name>" (mcp.json), the same as a plugin, or a remote
// server for this request only.
const integration = z.union([
  z.string().regex(/^mcp\/[\w.-]+$/, 'must be "mcp/<name>" or an object'),
  z.strictObject({
    type: z.literal('plugin'),
    id: z.string().regex(/^mcp\/[\w.-]+$/, 'must be "mcp/<name>"'),
    allowed_tools: z.array(z.string()).optional(),
  }),
  z.strictObject({
    type: z.literal('ephemeral_mcp'),
    server_label: z.string().regex(/^[\w.-]+$/),
    server_url: z.url(),
    allowed_tools: z.array(z.string()).optional(),
    headers: z.record(z.string(), z.string()).optional(),
  }),
])

export type V1Integration = z.output<typeof integration>

const schema = z.strictObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(item).min(1)]),
  system_prompt: z.string().optional(),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().gt(0).max(1).optional(),
  top_k: z.number().int().min(-1).optional(),
  min_p: z.number().min(0).max(1).optional(),
  repeat_penalty: z.number().gt(0).optional(),
  max_output_tokens: z.number().int().min(-1).optional(),
  seed: z.number().int().optional(),
  draft_model: samplingFields.draft_model,
  num_draft_tokens: samplingFields.num_draft_tokens,
  reasoning: z.enum(['off', 'low', 'medium', 'high', 'on']).optional(),
  context_length: z.number().int().positive().optional(),
  store: z.boolean().optional(),
  previous_response_id: z.string().optional(),
  integrations: z.array(integration).optional(),
  ttl: z.number().int().positive().optional(),
})

export type V1ChatBody = z.output<typeof schema>

export const parseV1Chat = (body: unknown): V1ChatBody =>
  parseBody(schema, body)

export function toV1Request(
  ctx: ServerContext,
  b: V1ChatBody,
): { messages: ChatMessage[]; request: GenerationRequest } {
  const history = b.previous_response_id
    ? ctx.threads.get(b.previous_response_id)
    : []
  if (!history) {
    throw new InvalidRequestError(
      `Unknown previous_response_id "${b.previous_response_id}".`,
      'previous_response_id',
      'not_found',
    )
  }
  const messages: ChatMessage[] = [...history]
  if (b.system_prompt && !history.length)
    messages.push({ role: 'system', content: b.system_prompt })
  messages.push({ role: 'user', content: toContent(b.input) })
  return {
    messages,
    request: {
      model: b.model,
      input: messages,
      options: toGenerateOptions({ ...b, max_tokens: b.max_output_tokens }),
      stream: !!b.stream,
      includeUsage: false,
      ttlSeconds: b.ttl,
      contextLength: b.context_length,
      draftModel: b.draft_model,
      reasoningSetting: b.reasoning,
    },
  }
}

function toContent(
  input: string | z.output<typeof item>[],
): string | ContentPart[] {
  if (typeof input === 'string') return input
  return input.map((p, i): ContentPart => {
    if (p.type === 'message') return { type: 'text', text: p.content }
    const match = p.data_url.match(/^data:(image\/[\w.+-]+);base64,(.*)$/s)
    if (!match?.[1] || match[2] === undefined) {
      throw new InvalidRequestError(
        'Images must be base64 data URLs.',
        `input[${i}].data_url`,
        'invalid_image_url',
      )
    }
    return {
      type: 'image',
      mimeType: match[1],
      data: new Uint8Array(Buffer.from(match[2], 'base64')),
    }
  })
}
