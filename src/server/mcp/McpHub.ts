// The server's MCP client side: connections to the servers of mcp.json
// (opened on first use, kept, reopened after a failure) and to per-request
// remote servers (closed after the request). Both are opt-in. A session
// lists a server's tools (cut down to the allow-lists) and calls them.
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { BaseError } from '../../engine/errors.ts'
import type { McpConfig, McpServerConfig } from './config.ts'

export type McpHubOptions = {
  config?: McpConfig
  /** Serve tools of mcp.json's servers (LM Studio: "Allow calling servers from mcp.json"). */
  allowConfigured?: boolean
  /** Connect to servers a request names by URL ("Allow per-request MCPs"). */
  allowRemote?: boolean
}

export type McpTool = {
  name: string
  description?: string
  inputSchema: Record<string, unknown>
}

/** An MCP feature the request asks for that is off or unknown; a 400. */
export class McpNotAllowedError extends BaseError {
  override name = 'McpNotAllowedError' as const
  param: string
  constructor(message: string, param: string) {
    super(message)
    this.param = param
  }
}

/** Connecting to or calling an MCP server failed; a 502. */
export class McpServerError extends BaseError {
  override name = 'McpServerError' as const
}

export type McpServerRef =
  | { label: string; allowedTools?: string[] }
  | {
      label: string
      url: string
      headers?: Record<string, string>
      allowedTools?: string[]
    }

export class McpSession {
  readonly label: string
  readonly tools: McpTool[]
  readonly #client: Client
  readonly #ephemeral: boolean

  constructor(
    label: string,
    client: Client,
    tools: McpTool[],
    ephemeral: boolean,
  ) {
    this.label = label
    this.#client = client
    this.tools = tools
    this.#ephemeral = ephemeral
  }

  /** Runs a tool; the text of its result, or throws with the server's error. */
  async call(
    name: string,
    args: unknown,
    signal?: AbortSignal,
  ): Promise<string> {
    let result: Awaited<ReturnType<Client['callTool']>>
    try {
      result = await this.#client.callTool(
        { name, arguments: (args ?? {}) as Record<string, unknown> },
        undefined,
        { signal },
      )
    } catch (e) {
      throw new McpServerError(
        `MCP server "${this.label}" failed to run ${name}.`,
        {
          details: (e as Error).message,
        },
      )
    }
    const text = ((result.content as { type: string; text?: string }[]) ?? [])
      .map((c) => (c.type === 'text' ? (c.text ?? '') : `[${c.type}]`))
      .join('\n')
    if (result.isError) throw new McpServerError(text || `${name} failed.`)
    return text
  }

  async close(): Promise<void> {
    if (this.#ephemeral) await this.#client.close().catch(() => {})
  }
}

export class McpHub {
  readonly #options: McpHubOptions
  readonly #clients = new Map<string, Promise<Client>>()

  constructor(options: McpHubOptions = {}) {
    this.#options = options
  }

  /** Opens a session with one server (configured by label, or by URL). */
  async open(ref: McpServerRef, param: string): Promise<McpSession> {
    if ('url' in ref) {
      if (!this.#options.allowRemote)
        throw new McpNotAllowedError(
          'Per-request MCP servers are off; start the server with --allow-remote-mcp.',
          param,
        )
      const client = await connect(ref.label, {
        url: ref.url,
        headers: ref.headers,
      })
      return this.#session(ref.label, client, [ref.allowedTools], true)
    }
    const server = this.#options.config?.mcpServers[ref.label]
    if (!this.#options.allowConfigured)
      throw new McpNotAllowedError(
        'MCP servers from mcp.json are off; start the server with --allow-mcp.',
        param,
      )
    if (!server)
      throw new McpNotAllowedError(
        `No MCP server "${ref.label}" in mcp.json (known: ${Object.keys(this.#options.config?.mcpServers ?? {}).join(', ') || 'none'}).`,
        param,
      )
    let pending = this.#clients.get(ref.label)
    if (!pending) {
      pending = connect(ref.label, server)
      this.#clients.set(ref.label, pending)
      pending.catch(() => this.#clients.delete(ref.label))
    }
    const client = await pending
    return this.#session(
      ref.label,
      client,
      [server.allowedTools, ref.allowedTools],
      false,
    )
  }

  async #session(
    label: string,
    client: Client,
    allowLists: (string[] | undefined)[],
    ephemeral: boolean,
  ): Promise<McpSession> {
    let tools: McpTool[]
    try {
      tools = (await client.listTools()).tools as McpTool[]
    } catch (e) {
      if (!ephemeral) this.#clients.delete(label)
      throw new McpServerError(
        `MCP server "${label}" did not list its tools.`,
        {
          details: (e as Error).message,
        },
      )
    }
    for (const list of allowLists)
      if (list) tools = tools.filter((t) => list.includes(t.name))
    return new McpSession(label, client, tools, ephemeral)
  }

  async close(): Promise<void> {
    const clients = [...this.#clients.values()]
    this.#clients.clear()
    await Promise.all(
      clients.map((p) => p.then((c) => c.close()).catch(() => {})),
    )
  }
}

async function connect(
  label: string,
  server: McpServerConfig | { url: string; headers?: Record<string, string> },
): Promise<Client> {
  const client = new Client({ name: 'pocketcloudmlx', version: '0.1.0' })
  const transport =
    'command' in server
      ? new StdioClientTransport({
          command: server.command,
          args: server.args ?? [],
          env: { ...(process.env as Record<string, string>), ...server.env },
          cwd: server.cwd,
          stderr: 'ignore',
        })
      : new StreamableHTTPClientTransport(new URL(server.url), {
          requestInit: { headers: server.headers ?? {} },
        })
  try {
    await client.connect(transport)
  } catch (e) {
    throw new McpServerError(`Cannot connect to MCP server "${label}".`, {
      details: (e as Error).message,
    })
  }
  return client
}
