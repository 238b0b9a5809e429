// The official Python clients (`openai`, `anthropic` and LM Studio's
// `lmstudio` from PyPI, pinned, installed by `npm install` into
// $POCKET_HOME/python-clients) against the real server with the real
// SmolLM2 and MiniLM weights. python/clients.py drives chat (whole,
// streamed, tools), Responses (whole, follow-up, streamed, tools),
// embeddings, Anthropic messages (whole, streamed, tools, count_tokens) and
// one bad request per client; python/lmstudio_client.py the LM Studio SDK
// over the websocket protocol. This file checks what the Python clients got
// against the same requests made with the npm clients.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// @ts-expect-error: a plain .mjs script module, without types
import { PYTHON_CLIENTS, pythonClientsDir } from '../../../scripts/paths.mjs'
import { MINILM_KEY, MINILM_REV, minilmPath } from '../../helpers/minilm.ts'
import { SMOL_KEY, startRealServer } from '../../helpers/realServer.ts'

const scripts = join(dirname(fileURLToPath(import.meta.url)), 'python')
let srv: Awaited<ReturnType<typeof startRealServer>>
// biome-ignore lint/suspicious/noExplicitAny: the Python script's JSON, checked field by field
let py: Record<string, any>
// biome-ignore lint/suspicious/noExplicitAny: the Python script's JSON, checked field by field
let lms: Record<string, any>

function runPython(script: string, args: string[]): Promise<string> {
  const dir: string = pythonClientsDir()
  if (!existsSync(join(dir, '.complete')))
    throw new Error(
      `the Python clients ${JSON.stringify(PYTHON_CLIENTS)} are not installed at ${dir}; run \`npm install\`.`,
    )
  return new Promise((resolve, reject) => {
    const child = spawn('python3', [join(scripts, script), ...args], {
      env: { ...process.env, PYTHONPATH: dir, PYTHONDONTWRITEBYTECODE: '1' },
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => {
      out += d
    })
    child.stderr.on('data', (d) => {
      err += d
    })
    child.on('error', reject)
    child.on('close', (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`${script} exited with ${code}:\n${err}`)),
    )
  })
}

beforeAll(async () => {
  srv = await startRealServer({}, async (hub) => {
    const repo = join(hub, 'models--sentence-transformers--all-MiniLM-L6-v2')
    await mkdir(join(repo, 'snapshots'), { recursive: true })
    await mkdir(join(repo, 'refs'), { recursive: true })
    await writeFile(join(repo, 'refs', 'main'), MINILM_REV)
    await symlink(minilmPath(), join(repo, 'snapshots', MINILM_REV))
  })
  // LM Studio's first, while nothing is loaded (its load progress).
  const host = srv.url.replace(/^http:\/\//, '')
  lms = JSON.parse(
    await runPython('lmstudio_client.py', [host, SMOL_KEY, MINILM_KEY]),
  )
  py = JSON.parse(
    await runPython('clients.py', [srv.url, SMOL_KEY, MINILM_KEY]),
  )
}, 600_000)
afterAll(() => srv?.close())

const user = [{ role: 'user' as const, content: 'Name a color.' }]
const weatherArgs = (a: unknown) =>
  expect(a).toEqual({ city: expect.any(String) })

describe('openai (Python)', () => {
  it('chat: the same greedy text as the npm client, whole and streamed', async () => {
    const oa = new OpenAI({
      baseURL: `${srv.url}/v1`,
      apiKey: 'x',
      maxRetries: 0,
    })
    const npm = await oa.chat.completions.create({
      model: SMOL_KEY,
      messages: user,
      max_tokens: 8,
      temperature: 0,
    })
    const text = npm.choices[0]?.message.content
    expect(text?.length).toBeGreaterThan(0)
    expect(py.chat).toEqual({
      text,
      finish_reason: npm.choices[0]?.finish_reason,
      completion_tokens: npm.usage?.completion_tokens,
      object: 'chat.completion',
    })
    expect(py.chat_stream).toEqual({
      text,
      completion_tokens: npm.usage?.completion_tokens,
    })
  })

  it('tools: a required call parses into the schema', () => {
    expect(py.chat_tools.finish_reason).toBe('tool_calls')
    expect(py.chat_tools.name).toBe('get_weather')
    expect(py.chat_tools.id).toMatch(/\S/)
    weatherArgs(py.chat_tools.arguments)
  })

  it('responses: create, previous_response_id, stream, function tools', async () => {
    const oa = new OpenAI({
      baseURL: `${srv.url}/v1`,
      apiKey: 'x',
      maxRetries: 0,
    })
    const npm = await oa.responses.create({
      model: SMOL_KEY,
      input: 'Name a color.',
      max_output_tokens: 8,
      temperature: 0,
    })
    expect(py.responses.text).toBe(npm.output_text)
    expect(py.responses.id).toMatch(/^resp_/)
    expect(py.responses.output_tokens).toBe(npm.usage?.output_tokens)
    // The follow-up's prompt holds the first turn: more input tokens.
    expect(py.responses_follow.input_tokens).toBeGreaterThan(
      npm.usage?.input_tokens ?? Number.POSITIVE_INFINITY,
    )
    const types: string[] = py.responses_stream.types
    expect(types[0]).toBe('response.created')
    expect(types.at(-1)).toMatch(/^response\.(completed|incomplete)$/)
    expect(types).toContain('response.output_text.delta')
    expect(py.responses_stream.text).toBe(npm.output_text)
    expect(py.responses_stream.final_text).toBe(npm.output_text)
    expect(py.responses_stream.final_status).toBe(npm.status)
    expect(py.responses_tools.name).toBe('get_weather')
    weatherArgs(py.responses_tools.arguments)
  })

  it('embeddings: the vectors of the npm client', async () => {
    const oa = new OpenAI({
      baseURL: `${srv.url}/v1`,
      apiKey: 'x',
      maxRetries: 0,
    })
    const npm = await oa.embeddings.create({
      model: MINILM_KEY,
      input: ['hello', 'world'],
    })
    expect(py.embeddings.count).toBe(2)
    expect(py.embeddings.dims).toBe(384)
    expect(py.embeddings.prompt_tokens).toBe(npm.usage.prompt_tokens)
    const first = npm.data[0]?.embedding.slice(0, 4) ?? []
    const got: number[] = py.embeddings.first
    expect(got).toHaveLength(4)
    got.forEach((v, i) => {
      expect(v).toBeCloseTo(first[i] as number, 6)
    })
  })

  it('a bad request is a BadRequestError naming the field', () => {
    expect(py.openai_error).toEqual({
      status: 400,
      param: 'max_token',
      code: 'unknown_parameter',
    })
  })
})

describe('anthropic (Python)', () => {
  it('messages: the same greedy text as the npm client, whole and streamed', async () => {
    const an = new Anthropic({ baseURL: srv.url, apiKey: 'x', maxRetries: 0 })
    // Older Messages API versions (the server's too) take `temperature`.
    const greedy = { model: SMOL_KEY, max_tokens: 8, temperature: 0 }
    const npm = await an.messages.create({ ...greedy, messages: user })
    const text = npm.content
      .map((b) => (b.type === 'text' ? b.text : ''))
      .join('')
    expect(text.length).toBeGreaterThan(0)
    expect(py.messages).toEqual({
      text,
      stop_reason: npm.stop_reason,
      output_tokens: npm.usage.output_tokens,
    })
    expect(py.messages_stream).toEqual({ text, stop_reason: npm.stop_reason })
    const count = await an.messages.countTokens({
      model: SMOL_KEY,
      messages: user,
    })
    expect(py.count_tokens).toBe(count.input_tokens)
  })

  it('tools: tool_choice any gives a tool_use block with valid input', () => {
    expect(py.messages_tools.stop_reason).toBe('tool_use')
    expect(py.messages_tools.name).toBe('get_weather')
    weatherArgs(py.messages_tools.input)
  })

  it('a bad request is a BadRequestError of type invalid_request_error', () => {
    expect(py.anthropic_error).toEqual({
      status: 400,
      type: 'invalid_request_error',
    })
  })
})

describe('lmstudio (Python)', () => {
  it('lists models; model() loads with progress from the weight loader', () => {
    expect(lms.downloaded).toEqual([MINILM_KEY, SMOL_KEY].sort())
    expect(lms.identifier).toBe(SMOL_KEY)
    const load: number[] = lms.load_progress
    expect(load.at(-1)).toBe(1)
    expect(load.filter((p) => p > 0 && p < 1).length).toBeGreaterThan(2)
    expect(load).toEqual([...load].sort((a, b) => a - b))
  })

  it('respond: the greedy text of chat completions, whole and streamed', async () => {
    const oa = new OpenAI({
      baseURL: `${srv.url}/v1`,
      apiKey: 'x',
      maxRetries: 0,
    })
    const chat = await oa.chat.completions.create({
      model: SMOL_KEY,
      messages: user,
      max_tokens: 8,
      temperature: 0,
    })
    const text = chat.choices[0]?.message.content
    expect(lms.respond).toEqual({
      text,
      stop_reason: 'maxPredictedTokensReached',
      predicted: 8,
      prompt_progress: [0, 1],
    })
    expect(lms.respond_stream.text).toBe(text)
    expect(lms.respond_stream.fragments.join('')).toBe(text)
    expect(lms.respond_stream.fragments.length).toBeGreaterThan(1)
  })

  it('structured output, tokenize, context length, act, unload, embed', async () => {
    expect(lms.structured).toEqual({
      name: expect.any(String),
      age: expect.any(Number),
    })
    expect(lms.structured.name.length).toBeLessThanOrEqual(20)
    expect(lms.context_length).toBe(8192)
    expect(lms.tokens).toBeGreaterThan(1)
    expect(lms.act.rounds).toBeGreaterThanOrEqual(1)
    expect(lms.act.messages[0]).toBe('AssistantResponse')
    expect(lms.loaded_after_unload).toEqual([])
    expect(lms.embedding_dims).toBe(384)
    const oa = new OpenAI({
      baseURL: `${srv.url}/v1`,
      apiKey: 'x',
      maxRetries: 0,
    })
    const http = await oa.embeddings.create({
      model: MINILM_KEY,
      input: 'hello world',
    })
    const ref = http.data[0]?.embedding.slice(0, 4) ?? []
    const got: number[] = lms.embedding
    expect(got).toHaveLength(4)
    got.forEach((v, i) => {
      expect(v).toBeCloseTo(ref[i] as number, 6)
    })
  })
})
