// MCP tools through /v1/responses with the official `openai` client, the
// real SmolLM2 weights and real MCP servers: `@modelcontextprotocol/server-
// filesystem` over stdio from mcp.json (allow-listed to one tool), and a
// streamable-HTTP server built with the MCP SDK named per request. The
// server lists the tools, runs the model's call on the MCP server and
// answers with mcp_list_tools / mcp_call / message items; both kinds are
// opt-in, and a refused one is a 400 naming the tool.
import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises'
import { createServer as createHttpServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { SMOL_KEY, startRealServer } from '../../helpers/realServer.ts'

const FS_SERVER = fileURLToPath(
  new URL(
    '../../../node_modules/@modelcontextprotocol/server-filesystem/dist/index.js',
    import.meta.url,
  ),
)

let dir: string
let srv: Awaited<ReturnType<typeof startRealServer>>
let client: OpenAI
let remote: Server
let remoteUrl: string
const remoteCalls: string[] = []

/** A streamable-HTTP MCP server with one tool, made with the MCP SDK. */
async function startRemoteMcp(): Promise<void> {
  remote = createHttpServer(async (req, res) => {
    const mcp = new McpServer({ name: 'weather', version: '1.0.0' })
    mcp.registerTool(
      'get_weather',
      {
        description: 'Current weather in a city',
        inputSchema: { city: z.string() },
      },
      async ({ city }) => {
        remoteCalls.push(city)
        return { content: [{ type: 'text', text: `Sunny in ${city}, 21 C` }] }
      },
    )
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
    })
    res.on('close', () => {
      void transport.close()
      void mcp.close()
    })
    await mcp.connect(transport)
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const body = chunks.length
      ? JSON.parse(Buffer.concat(chunks).toString())
      : undefined
    await transport.handleRequest(req, res, body)
  })
  await new Promise<void>((r) => remote.listen(0, '127.0.0.1', r))
  remoteUrl = `http://127.0.0.1:${(remote.address() as AddressInfo).port}/mcp`
}

beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'pocket-mcp-')))
  await writeFile(join(dir, 'notes.txt'), 'hello')
  await startRemoteMcp()
  srv = await startRealServer({
    mcp: {
      allowConfigured: true,
      allowRemote: true,
      config: {
        mcpServers: {
          fs: {
            command: process.execPath,
            args: [FS_SERVER, dir],
            allowedTools: ['list_allowed_directories'],
          },
        },
      },
    },
  })
  client = new OpenAI({
    baseURL: `${srv.url}/v1`,
    apiKey: 'x',
    maxRetries: 0,
    timeout: 600_000,
  })
})
afterAll(async () => {
  await srv?.close()
  remote?.close()
  await rm(dir, { recursive: true, force: true })
})

type Item = { type: string } & Record<string, unknown>

describe('MCP tools on /v1/responses', () => {
  it('mcp.json server over stdio: lists, calls on the real server, answers', async () => {
    const r = await client.responses.create({
      model: SMOL_KEY,
      input: 'Which directories can you access?',
      tools: [{ type: 'mcp', server_label: 'fs', require_approval: 'never' }],
      tool_choice: 'required',
      temperature: 0,
      max_output_tokens: 60,
    })
    const items = r.output as unknown as Item[]
    expect(items[0]).toMatchObject({
      type: 'mcp_list_tools',
      server_label: 'fs',
      tools: [expect.objectContaining({ name: 'list_allowed_directories' })],
    })
    const call = items.find((i) => i.type === 'mcp_call')
    expect(call).toMatchObject({
      server_label: 'fs',
      name: 'list_allowed_directories',
      status: 'completed',
      error: null,
    })
    expect(call?.output).toContain(dir)
    expect(items.at(-1)?.type).toBe('message')
    expect(r.usage?.input_tokens).toBeGreaterThan(0)
  })

  it('a per-request server by URL (streamable HTTP), streamed', async () => {
    remoteCalls.length = 0
    const stream = client.responses.stream({
      model: SMOL_KEY,
      input: 'What is the weather in Paris?',
      tools: [
        {
          type: 'mcp',
          server_label: 'weather',
          server_url: remoteUrl,
          require_approval: 'never',
        },
      ],
      tool_choice: 'required',
      temperature: 0,
      max_output_tokens: 60,
    })
    const types: string[] = []
    for await (const e of stream) types.push(e.type)
    expect(remoteCalls.length).toBeGreaterThanOrEqual(1)
    expect(types[0]).toBe('response.created')
    expect(types).toContain('response.mcp_list_tools.completed')
    expect(types).toContain('response.mcp_call.completed')
    expect(types.at(-1)).toMatch(/^response\.(completed|incomplete)$/)
    const final = (await stream.finalResponse()).output as unknown as Item[]
    const call = final.find((i) => i.type === 'mcp_call')
    expect(call).toMatchObject({ name: 'get_weather', status: 'completed' })
    expect(call?.output).toContain('Sunny in')
  })

  it('unknown servers and refused kinds are 400s naming the tool', async () => {
    const unknown = await client.responses
      .create({
        model: SMOL_KEY,
        input: 'hi',
        tools: [
          { type: 'mcp', server_label: 'nope', require_approval: 'never' },
        ],
      })
      .catch((e) => e)
    expect(unknown).toBeInstanceOf(OpenAI.BadRequestError)
    expect(unknown.param).toBe('tools[0]')
    expect(unknown.message).toContain('fs')
    const approval = await client.responses
      .create({
        model: SMOL_KEY,
        input: 'hi',
        tools: [
          { type: 'mcp', server_label: 'fs', require_approval: 'always' },
        ],
      })
      .catch((e) => e)
    expect(approval.status).toBe(400)
    expect(approval.param).toBe('tools[0].require_approval')
  })
})

describe('opt-in', () => {
  it('without --allow-mcp / --allow-remote-mcp both kinds are refused', async () => {
    const off = await startRealServer()
    try {
      const c = new OpenAI({
        baseURL: `${off.url}/v1`,
        apiKey: 'x',
        maxRetries: 0,
      })
      for (const tool of [
        {
          type: 'mcp' as const,
          server_label: 'fs',
          require_approval: 'never' as const,
        },
        {
          type: 'mcp' as const,
          server_label: 'w',
          server_url: remoteUrl,
          require_approval: 'never' as const,
        },
      ]) {
        const e = await c.responses
          .create({ model: SMOL_KEY, input: 'hi', tools: [tool] })
          .catch((x) => x)
        expect(e.status).toBe(400)
        expect(e.code).toBe('mcp_not_allowed')
        expect(e.message).toMatch(/--allow-(remote-)?mcp/)
      }
    } finally {
      await off.close()
    }
  })
})
