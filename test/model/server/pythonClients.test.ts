// The official Python clients (`openai` and `anthropic` from PyPI, pinned,
// installed by `npm install` into $POCKET_HOME/python-clients) against the
// real server with the real SmolLM2 and MiniLM weights. python/clients.py
// drives chat (whole, streamed, tools), Responses (whole, follow-up,
// streamed, tools), embeddings, Anthropic messages (whole, streamed, tools,
// count_tokens) and one bad request per client; this file checks what the
// Python clients got against the same requests made with the npm clients.
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

const script = join(
  dirname(fileURLToPath(import.meta.url)),
  'python',
  'clients.py',
)
let srv: Awaited<ReturnType<typeof startRealServer>>
// biome-ignore lint/suspicious/noExplicitAny: the Python script's JSON, checked field by field
let py: Record<string, any>

function runPython(args: string[]): Promise<string> {
  const dir: string = pythonClientsDir()
  if (!existsSync(join(dir, '.complete')))
    throw new Error(
      `the Python clients ${JSON.stringify(PYTHON_CLIENTS)} are not installed at ${dir}; run \`npm install\`.`,
    )
  return new Promise((resolve, reject) => {
    const child = spawn('python3', [script, ...args], {
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
        : reject(new Error(`clients.py exited with ${code}:\n${err}`)),
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
  py = JSON.parse(await runPython([srv.url, SMOL_KEY, MINILM_KEY]))
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
