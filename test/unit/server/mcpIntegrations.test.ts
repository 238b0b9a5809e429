// /api/v1/chat `integrations` end to end with a real MCP server
// (`@modelcontextprotocol/server-filesystem` over stdio from mcp.json) and a
// scripted fake model (the real engine's tool-call format, deterministic
// rounds): the server lists the tools, runs the call the model makes,
// feeds the result back and returns LM Studio's output items and stream
// events; a failing call becomes an invalid_tool_call; integrations are
// opt-in.
import { mkdtemp, realpath, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeServer } from '../../helpers/fakeServer.ts'

const FS_SERVER = fileURLToPath(
  new URL(
    '../../../node_modules/@modelcontextprotocol/server-filesystem/dist/index.js',
    import.meta.url,
  ),
)
const call = (name: string, args: object) =>
  `[TOOL_REQUEST]${JSON.stringify({ name, arguments: args })}[END_TOOL_REQUEST]`

let dir: string
beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'pocket-mcp-v1-')))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

const mcp = () => ({
  allowConfigured: true,
  config: {
    mcpServers: {
      fs: {
        command: process.execPath,
        args: [FS_SERVER, dir],
        allowedTools: ['list_allowed_directories', 'read_text_file'],
      },
    },
  },
})
const post = (url: string, body: object) =>
  fetch(`${url}/api/v1/chat`, { method: 'POST', body: JSON.stringify(body) })

describe('/api/v1/chat integrations (MCP)', () => {
  it('runs the call on the MCP server and answers with tool_call items', async () => {
    const srv = await startFakeServer({
      mcp: mcp(),
      modelOptions: {
        contextLength: 16_384,
        replies: [call('list_allowed_directories', {}), 'You can access it.'],
      },
    })
    try {
      const r = await post(srv.url, {
        model: 'tiny-chat',
        input: 'Which directories can you access?',
        integrations: ['mcp/fs'],
      })
      const body = (await r.json()) as {
        output: unknown[]
        response_id: string
      }
      expect(r.status, JSON.stringify(body)).toBe(200)
      expect(body.output).toEqual([
        {
          type: 'tool_call',
          tool: 'list_allowed_directories',
          arguments: {},
          output: expect.stringContaining(dir),
          provider_info: { type: 'plugin', plugin_id: 'mcp/fs' },
        },
        { type: 'message', content: 'You can access it.' },
      ])
      // The second round saw the tool result.
      const second = srv.loaded[0]?.calls[1]?.input as {
        role: string
        content: unknown
      }[]
      expect(second.at(-1)).toMatchObject({
        role: 'tool',
        content: expect.stringContaining(dir),
      })
      expect(body.response_id).toMatch(/^resp_/)
    } finally {
      await srv.close()
    }
  })

  it('streams tool_call.start / arguments / success between message events; a failed call is invalid_tool_call', async () => {
    const srv = await startFakeServer({
      mcp: mcp(),
      modelOptions: {
        contextLength: 16_384,
        replies: [
          call('read_text_file', { path: '/etc/passwd' }),
          'That file is off limits.',
        ],
      },
    })
    try {
      const r = await post(srv.url, {
        model: 'tiny-chat',
        input: 'Read /etc/passwd',
        integrations: [{ type: 'plugin', id: 'mcp/fs' }],
        stream: true,
      })
      const events = (await r.text())
        .split('\n\n')
        .filter(Boolean)
        .map((f) => JSON.parse(f.split('\ndata: ')[1] as string))
      const types = events.map((e) => e.type)
      expect(types[0]).toBe('chat.start')
      const start = types.indexOf('tool_call.start')
      expect(types.slice(start, start + 3)).toEqual([
        'tool_call.start',
        'tool_call.arguments',
        'tool_call.failure',
      ])
      expect(events[start + 1].arguments).toEqual({ path: '/etc/passwd' })
      expect(events[start + 2].metadata).toMatchObject({
        type: 'invalid_arguments',
        tool_name: 'read_text_file',
      })
      const after = types.slice(start + 3)
      expect(after[0]).toBe('prompt_processing.start')
      expect(after).toContain('message.start')
      expect(after.slice(-2)).toEqual(['message.end', 'chat.end'])
      expect(
        events
          .filter((e) => e.type === 'message.delta')
          .map((e) => e.content)
          .join(''),
      ).toBe('That file is off limits.')
      const result = events.at(-1).result
      expect(result.output[0]).toMatchObject({
        type: 'invalid_tool_call',
        reason: expect.stringMatching(/denied|outside|not allowed/i),
      })
      expect(result.output[1]).toEqual({
        type: 'message',
        content: 'That file is off limits.',
      })
    } finally {
      await srv.close()
    }
  })

  it('a call naming no integration tool is an invalid_tool_call of type invalid_name', async () => {
    const srv = await startFakeServer({
      mcp: mcp(),
      modelOptions: {
        contextLength: 16_384,
        replies: [call('delete_everything', { path: '/' })],
      },
    })
    try {
      const r = await post(srv.url, {
        model: 'tiny-chat',
        input: 'Clean up.',
        integrations: ['mcp/fs'],
        stream: true,
      })
      const events = (await r.text())
        .split('\n\n')
        .filter(Boolean)
        .map((f) => JSON.parse(f.split('\ndata: ')[1] as string))
      const failure = events.find((e) => e.type === 'tool_call.failure')
      expect(failure.metadata).toEqual({
        type: 'invalid_name',
        tool_name: 'delete_everything',
        arguments: { path: '/' },
      })
      const result = events.at(-1).result
      expect(result.output).toEqual([
        {
          type: 'invalid_tool_call',
          reason: expect.stringContaining('delete_everything'),
          metadata: failure.metadata,
        },
      ])
    } finally {
      await srv.close()
    }
  })

  it('is opt-in; unknown servers and remote ones without the flag are 400s', async () => {
    const off = await startFakeServer()
    try {
      const r = await post(off.url, {
        model: 'tiny-chat',
        input: 'hi',
        integrations: ['mcp/fs'],
      })
      expect(r.status).toBe(400)
      expect(((await r.json()) as { error: object }).error).toMatchObject({
        code: 'mcp_not_allowed',
        param: 'integrations[0]',
      })
    } finally {
      await off.close()
    }
    const srv = await startFakeServer({ mcp: mcp() })
    try {
      const unknown = await post(srv.url, {
        model: 'tiny-chat',
        input: 'hi',
        integrations: ['mcp/nope'],
      })
      expect(unknown.status).toBe(400)
      const remote = await post(srv.url, {
        model: 'tiny-chat',
        input: 'hi',
        integrations: [
          {
            type: 'ephemeral_mcp',
            server_label: 'x',
            server_url: 'http://127.0.0.1:9/mcp',
          },
        ],
      })
      expect(remote.status).toBe(400)
      const err = (await remote.json()) as { error: { message: string } }
      expect(err.error.message).toContain('--allow-remote-mcp')
    } finally {
      await srv.close()
    }
  })
})
