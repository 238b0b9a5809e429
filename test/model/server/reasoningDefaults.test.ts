// The real engine behind the HTTP server, for what reasoning and model
// defaults change end to end: tiny random-weight checkpoints (byte-level
// vocabulary: one token per byte) under chat templates in the DeepSeek-R1,
// Qwen3 and gpt-oss styles, a checkpoint with a generation_config.json, and
// the SmolLM2 GGUF copied with llama.cpp's `general.sampling.*` keys.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeGgufWithMetadata } from '../../helpers/ggufWithMetadata.ts'
import { smollm2Path } from '../../helpers/models.ts'
import { readJson } from '../../helpers/readJson.ts'
import { SMOL_KEY, startRealServer } from '../../helpers/realServer.ts'
import { writeTinyCheckpoint } from '../../helpers/tinyCheckpoint.ts'

const R1_STYLE =
  "{%- for m in messages %}{{ '<|' + m.role + '|>' + m.content }}{%- endfor %}{%- if add_generation_prompt %}{{ '<|Assistant|><think>\\n' }}{%- endif %}"
const QWEN3_STYLE =
  "{%- for m in messages %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{%- endfor %}{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- if enable_thinking is defined and enable_thinking is false %}{{ '<think>\\n\\n</think>\\n\\n' }}{%- endif %}{%- endif %}"
const HARMONY_STYLE =
  "{%- for m in messages %}{{ '<|start|>' + m.role + '<|message|>' + m.content + '<|end|>' }}{%- endfor %}{%- if add_generation_prompt %}{{ '<|start|>assistant' }}{%- endif %}{# final: <|start|>assistant<|channel|>final<|message|> #}"
const HARMONY_TOKENS = [
  '<|start|>',
  '<|channel|>',
  '<|message|>',
  '<|end|>',
  '<|return|>',
  '<|call|>',
]
// 3 special tokens, then the 256 bytes, then the extra tokens.
const extraId = (i: number) => 3 + 256 + i

async function addRepo(hub: string, key: string) {
  const repo = join(hub, `models--${key.replace('/', '--')}`)
  await mkdir(join(repo, 'snapshots', 'r1'), { recursive: true })
  await mkdir(join(repo, 'refs'), { recursive: true })
  await writeFile(join(repo, 'refs', 'main'), 'r1')
  return join(repo, 'snapshots', 'r1')
}

let srv: Awaited<ReturnType<typeof startRealServer>>
let client: OpenAI
beforeAll(async () => {
  srv = await startRealServer({}, async (hub) => {
    const tiny = async (
      key: string,
      files: Record<string, string> = {},
      extra: string[] = [],
    ) => {
      const dir = await addRepo(hub, key)
      writeTinyCheckpoint(dir, 'llama', { extraSpecialTokens: extra })
      for (const [name, text] of Object.entries(files))
        await writeFile(join(dir, name), text)
    }
    await tiny('test/tiny-think', { 'chat_template.jinja': R1_STYLE })
    // Room for a tools system prompt (one token per byte).
    const config = join(
      hub,
      'models--test--tiny-think',
      'snapshots',
      'r1',
      'config.json',
    )
    await writeFile(
      config,
      JSON.stringify({
        ...JSON.parse(await readFile(config, 'utf8')),
        max_position_embeddings: 2048,
      }),
    )
    await tiny('test/tiny-qwen', { 'chat_template.jinja': QWEN3_STYLE })
    await tiny(
      'test/tiny-harmony',
      { 'chat_template.jinja': HARMONY_STYLE },
      HARMONY_TOKENS,
    )
    await tiny('test/tiny-greedy', {
      'generation_config.json': JSON.stringify({
        do_sample: false,
        temperature: 0.6,
      }),
    })
    await tiny('test/tiny-plain')
    const smol = await addRepo(hub, 'test/smol-defaults-GGUF')
    writeGgufWithMetadata(
      smollm2Path(),
      join(smol, 'smol-defaults.Q4_1.gguf'),
      {
        'general.sampling.temp': { type: 'f32', value: 0 },
        'general.sampling.top_k': { type: 'i32', value: 1 },
      },
    )
  })
  client = new OpenAI({
    baseURL: `${srv.url}/v1`,
    apiKey: 'unused',
    maxRetries: 0,
  })
})
afterAll(() => srv?.close())

type Message = OpenAI.ChatCompletionMessage & { reasoning_content?: string }
const hi = [{ role: 'user' as const, content: 'Hi' }]

describe('reasoning on the real engine', () => {
  it('a template that opens <think>: the whole (unclosed) reply is reasoning', async () => {
    const r = await client.chat.completions.create({
      model: 'test/tiny-think',
      messages: hi,
      temperature: 0,
      max_tokens: 16,
    })
    const message = r.choices[0]?.message as Message
    // The same prompt as raw text: what the model wrote, untouched.
    const raw = await client.completions.create({
      model: 'test/tiny-think',
      prompt: '<|user|>Hi<|Assistant|><think>\n',
      temperature: 0,
      max_tokens: 16,
    })
    expect(raw.choices[0]?.text.trim().length).toBeGreaterThan(0)
    expect(message.reasoning_content).toBe(raw.choices[0]?.text.trim())
    expect(message.content).toBe('')
    expect(r.usage?.completion_tokens).toBe(16)
    expect(r.usage?.completion_tokens_details?.reasoning_tokens).toBe(16)
    const stream = await client.chat.completions.create({
      model: 'test/tiny-think',
      messages: hi,
      temperature: 0,
      max_tokens: 16,
      stream: true,
    })
    let reasoning = ''
    let content = ''
    for await (const c of stream) {
      const d = c.choices[0]?.delta as {
        content?: string
        reasoning_content?: string
      }
      reasoning += d?.reasoning_content ?? ''
      content += d?.content ?? ''
    }
    expect({ reasoning, content }).toEqual({
      reasoning: message.reasoning_content,
      content: '',
    })
  })

  it('a grammar applies after the reasoning: the block is left free', async () => {
    const ask = (extra: object) =>
      client.chat.completions.create({
        model: 'test/tiny-think',
        messages: hi,
        temperature: 0,
        max_tokens: 16,
        ...extra,
      })
    // A JSON grammar from the first token would force "{" inside the block;
    // with the prefix the reasoning is free text (valid UTF-8: the grammar
    // allows no broken characters) until </think>.
    const json = await ask({
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'a', schema: { type: 'object' } },
      },
    })
    const message = json.choices[0]?.message as Message
    expect(message.content).toBe('')
    expect(message.reasoning_content?.length).toBeGreaterThan(0)
    expect(message.reasoning_content).not.toMatch(/^\s*[{[]/)
    expect(json.usage?.completion_tokens_details?.reasoning_tokens).toBe(16)
    // Same for a tool-call grammar (tool_choice required: calls only).
    const tools = await ask({
      tools: [
        {
          type: 'function',
          function: { name: 'f', parameters: { type: 'object' } },
        },
      ],
      tool_choice: 'required',
    })
    const called = tools.choices[0]?.message as Message
    expect(called.reasoning_content?.length).toBeGreaterThan(0)
    expect(called.reasoning_content).not.toMatch(/^\s*\[TOOL_REQUEST\]/)
    expect(called.tool_calls ?? []).toEqual([])
  })

  it('enable_thinking / reasoning_effort reach the template (one token per byte)', async () => {
    const ask = async (extra: object) =>
      (
        await client.chat.completions.create({
          model: 'test/tiny-qwen',
          messages: hi,
          temperature: 0,
          max_tokens: 2,
          ...extra,
        })
      ).usage?.prompt_tokens ?? 0
    const on = await ask({})
    const off = await ask({ chat_template_kwargs: { enable_thinking: false } })
    const none = await ask({ reasoning_effort: 'none' })
    expect(off - on).toBe('<think>\n\n</think>\n\n'.length)
    expect(none).toBe(off)
  })

  it('Harmony markers survive detokenization, and <|call|> stops', async () => {
    const channel = extraId(HARMONY_TOKENS.indexOf('<|channel|>'))
    const r = await client.chat.completions.create({
      model: 'test/tiny-harmony',
      messages: hi,
      max_tokens: 3,
      logit_bias: { [channel]: 100 },
      ...({ reasoning_format: 'none' } as object),
    })
    expect(r.choices[0]?.message.content).toBe('<|channel|>'.repeat(3))
    const call = extraId(HARMONY_TOKENS.indexOf('<|call|>'))
    const stop = await client.chat.completions.create({
      model: 'test/tiny-harmony',
      messages: hi,
      max_tokens: 3,
      logit_bias: { [call]: 100 },
    })
    expect(stop.usage?.completion_tokens).toBe(0)
    expect(stop.choices[0]?.finish_reason).toBe('stop')
  })
})

describe("a model's own sampling defaults", () => {
  const text = async (model: string, extra: object) =>
    (
      await client.chat.completions.create({
        model,
        messages: hi,
        max_tokens: 12,
        ...extra,
      })
    ).choices[0]?.message.content
  const info = async (model: string) =>
    readJson(await fetch(`${srv.url}/api/v0/models/${model}`))

  it('generation_config.json do_sample=false: greedy unless the request says otherwise', async () => {
    const greedy = await text('test/tiny-greedy', { temperature: 0 })
    expect(await text('test/tiny-greedy', { seed: 1 })).toBe(greedy)
    expect(await text('test/tiny-greedy', { seed: 2 })).toBe(greedy)
    expect((await info('test/tiny-greedy')).sampling_defaults).toEqual({
      temperature: 0,
    })
    // The request's temperature wins over the default.
    const hot = await Promise.all(
      [1, 2, 3].map((seed) =>
        text('test/tiny-greedy', { seed, temperature: 1 }),
      ),
    )
    expect(new Set(hot).size).toBeGreaterThan(1)
    // Without a generation_config.json the same weights sample.
    const plain = await Promise.all(
      [1, 2, 3].map((seed) => text('test/tiny-plain', { seed })),
    )
    expect(new Set(plain).size).toBeGreaterThan(1)
    expect((await info('test/tiny-plain')).sampling_defaults).toEqual({})
  })

  it('GGUF general.sampling.* keys apply, and model info shows them', async () => {
    const key = 'test/smol-defaults-GGUF'
    const greedy = await text(key, { temperature: 0 })
    expect(await text(key, { seed: 1 })).toBe(greedy)
    expect(await text(key, { seed: 2 })).toBe(greedy)
    expect((await info(key)).sampling_defaults).toEqual({
      temperature: 0,
      top_k: 1,
    })
    const v1 = await readJson(await fetch(`${srv.url}/api/v1/models`))
    const entry = v1.models.find((m: { key: string }) => m.key === key)
    expect(entry.loaded_instances[0].sampling_defaults).toEqual({
      temperature: 0,
      top_k: 1,
    })
    // The same weights without the keys sample at the default temperature.
    const smol = await Promise.all(
      [1, 2, 3].map((seed) => text(SMOL_KEY, { seed })),
    )
    expect(new Set(smol).size).toBeGreaterThan(1)
  })
})
