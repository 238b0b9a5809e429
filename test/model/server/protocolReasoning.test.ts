// Reasoning through the Anthropic and Responses endpoints (and LM Studio's
// SDK) on the real
// engine: a tiny random-weight checkpoint under a DeepSeek-R1-style template
// (the prompt opens `<think>`, so the reply is reasoning) answers with a
// `thinking` block / a `reasoning` item holding exactly what the chat
// completions endpoint reports as `reasoning_content`; and a Qwen3-style
// template shows `thinking: {type: "disabled"}` and `reasoning.effort:
// "none"` reaching the template (the prompt grows by the empty think block).
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import Anthropic from '@anthropic-ai/sdk'
import { LMStudioClient } from '@lmstudio/sdk'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRealServer } from '../../helpers/realServer.ts'
import { writeTinyCheckpoint } from '../../helpers/tinyCheckpoint.ts'

const R1_STYLE =
  "{%- for m in messages %}{{ '<|' + m.role + '|>' + m.content }}{%- endfor %}{%- if add_generation_prompt %}{{ '<|Assistant|><think>\\n' }}{%- endif %}"
const QWEN3_STYLE =
  "{%- for m in messages %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{%- endfor %}{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- if enable_thinking is defined and enable_thinking is false %}{{ '<think>\\n\\n</think>\\n\\n' }}{%- endif %}{%- endif %}"

// Anthropic's current API has no sampling knobs; this server still takes
// the older temperature / top_p / top_k.
const greedy: object = { temperature: 0 }

const TOOLS_STYLE =
  "{%- if tools %}{{ '<tools>' + (tools | tojson) + '</tools>' }}{%- endif %}{%- for m in messages %}{{ m.role + ': ' + m.content + '\\n' }}{%- endfor %}"

let srv: Awaited<ReturnType<typeof startRealServer>>
let openai: OpenAI
let anthropic: Anthropic

beforeAll(async () => {
  srv = await startRealServer({}, async (hub) => {
    for (const [key, template] of [
      ['test/tiny-think', R1_STYLE],
      ['test/tiny-qwen', QWEN3_STYLE],
      ['test/tiny-tools', TOOLS_STYLE],
    ] as const) {
      const repo = join(hub, `models--${key.replace('/', '--')}`)
      const dir = join(repo, 'snapshots', 'r1')
      await mkdir(dir, { recursive: true })
      await mkdir(join(repo, 'refs'), { recursive: true })
      await writeFile(join(repo, 'refs', 'main'), 'r1')
      writeTinyCheckpoint(dir, 'llama')
      await writeFile(join(dir, 'chat_template.jinja'), template)
    }
  })
  openai = new OpenAI({
    baseURL: `${srv.url}/v1`,
    apiKey: 'unused',
    maxRetries: 0,
  })
  anthropic = new Anthropic({
    baseURL: srv.url,
    apiKey: 'unused',
    maxRetries: 0,
  })
})
afterAll(() => srv?.close())

const hi = 'Hi'
let reasoning: string

beforeAll(async () => {
  const r = await openai.chat.completions.create({
    model: 'test/tiny-think',
    messages: [{ role: 'user', content: hi }],
    temperature: 0,
    max_tokens: 16,
  })
  const m = r.choices[0]?.message as { reasoning_content?: string }
  reasoning = m.reasoning_content ?? ''
  expect(reasoning.length).toBeGreaterThan(0)
})

describe('Anthropic thinking blocks', () => {
  it('non-streamed: one thinking block with the reasoning', async () => {
    const r = await anthropic.messages.create({
      model: 'test/tiny-think',
      max_tokens: 16,
      ...greedy,
      messages: [{ role: 'user', content: hi }],
    })
    expect(r.content).toEqual([
      { type: 'thinking', thinking: reasoning, signature: '' },
    ])
    expect(r.stop_reason).toBe('max_tokens')
  })

  it('streamed: content_block_start thinking, thinking_delta events', async () => {
    const stream = anthropic.messages.stream({
      model: 'test/tiny-think',
      max_tokens: 16,
      ...greedy,
      messages: [{ role: 'user', content: hi }],
    })
    let thinking = ''
    const starts: string[] = []
    for await (const e of stream) {
      if (e.type === 'content_block_start') starts.push(e.content_block.type)
      if (e.type === 'content_block_delta' && e.delta.type === 'thinking_delta')
        thinking += e.delta.thinking
    }
    expect(starts).toEqual(['thinking'])
    expect(thinking).toBe(reasoning)
    const final = await stream.finalMessage()
    expect(final.content[0]).toMatchObject({ type: 'thinking', thinking })
  })

  it('thinking disabled reaches the template (count_tokens)', async () => {
    const count = async (thinking?: Anthropic.ThinkingConfigParam) =>
      (
        await anthropic.messages.countTokens({
          model: 'test/tiny-qwen',
          messages: [{ role: 'user', content: hi }],
          ...(thinking ? { thinking } : {}),
        })
      ).input_tokens
    const on = await count()
    const off = await count({ type: 'disabled' })
    // One token per byte in this vocabulary.
    expect(off - on).toBe('<think>\n\n</think>\n\n'.length)
  })
})

describe('Responses reasoning items', () => {
  it('non-streamed: a reasoning item with reasoning_text, counted as reasoning tokens', async () => {
    const r = await openai.responses.create({
      model: 'test/tiny-think',
      input: hi,
      temperature: 0,
      max_output_tokens: 16,
    })
    expect(r.output).toHaveLength(1)
    expect(r.output[0]).toMatchObject({
      type: 'reasoning',
      content: [{ type: 'reasoning_text', text: reasoning }],
    })
    expect(r.output[0]?.id).toMatch(/^rs_/)
    expect(r.usage?.output_tokens_details.reasoning_tokens).toBe(16)
  })

  it('streamed: reasoning_text deltas', async () => {
    const stream = openai.responses.stream({
      model: 'test/tiny-think',
      input: hi,
      temperature: 0,
      max_output_tokens: 16,
    })
    let text = ''
    for await (const e of stream)
      if (e.type === 'response.reasoning_text.delta') text += e.delta
    expect(text).toBe(reasoning)
    const final = await stream.finalResponse()
    expect(final.output[0]).toMatchObject({
      type: 'reasoning',
      content: [{ type: 'reasoning_text', text: reasoning }],
    })
  })

  it('reasoning.effort none turns thinking off in the template', async () => {
    const usage = async (effort?: 'none') =>
      (
        await openai.responses.create({
          model: 'test/tiny-qwen',
          input: hi,
          max_output_tokens: 1,
          ...(effort ? { reasoning: { effort } } : {}),
        })
      ).usage?.input_tokens ?? 0
    expect((await usage('none')) - (await usage())).toBe(
      '<think>\n\n</think>\n\n'.length,
    )
  })
})

describe('LM Studio SDK reasoning fragments', () => {
  it('respond(): reasoning fragments make reasoningContent', async () => {
    const client = new LMStudioClient({
      baseUrl: srv.url.replace(/^http/, 'ws'),
    })
    const model = await client.llm.model('test/tiny-think', { verbose: false })
    const result = await model.respond(hi, { maxTokens: 16, temperature: 0 })
    expect(result.reasoningContent).toBe(reasoning)
    expect(result.nonReasoningContent).toBe('')
  })
})

describe('capabilities in the LM Studio model lists', () => {
  const get = async (path: string) =>
    (await fetch(`${srv.url}${path}`)).json() as Promise<
      Record<string, unknown>
    >
  it('v0 lists tool_use / reasoning from the template; v1 the reasoning options', async () => {
    expect((await get('/api/v0/models/test/tiny-tools')).capabilities).toEqual([
      'tool_use',
    ])
    expect((await get('/api/v0/models/test/tiny-qwen')).capabilities).toEqual([
      'reasoning',
    ])
    expect((await get('/api/v0/models/test/tiny-think')).capabilities).toEqual([
      'reasoning',
    ])
    const v1 = (await get('/api/v1/models')).models as {
      key: string
      capabilities: object
    }[]
    const caps = (key: string) => v1.find((m) => m.key === key)?.capabilities
    expect(caps('test/tiny-qwen')).toEqual({
      vision: false,
      trained_for_tool_use: false,
      reasoning: { allowed_options: ['off', 'on'], default: 'on' },
    })
    expect(caps('test/tiny-tools')).toEqual({
      vision: false,
      trained_for_tool_use: true,
    })
  })
})
