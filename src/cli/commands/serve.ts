// `pocket serve`: the OpenAI- and LM-Studio-compatible HTTP server. Binds
// 127.0.0.1 unless --host says otherwise; Ctrl-C stops it and unloads models.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Command } from 'commander'
import { HiveMember } from '../../hive/HiveMember.ts'
import { joinHive } from '../../hive/hiveStore.ts'
import { getPocketHome } from '../../models/paths.ts'
import { createServer } from '../../server/createServer.ts'
import { readMcpConfig } from '../../server/mcp/config.ts'
import { UsageError } from '../errors.ts'
import {
  parseInteger,
  parseNumber,
  parseReasoningTags,
} from '../parseOptions.ts'
import { clearServerState, writeServerState } from '../serverState.ts'

type ServeFlags = {
  port: number
  host: string
  cors?: boolean
  apiKey?: string
  jit: boolean
  jitAutoEvict: boolean
  jitTtl: number
  maxMemory?: number
  parallel?: number
  bodyLimit: string
  reasoningTags?: { open: string; close: string }
  mcpConfig?: string
  allowMcp?: boolean
  allowRemoteMcp?: boolean
  logLevel: string
  hive?: string
  peer: string[]
  deviceName?: string
  payout?: string
  batteryFloor: number
  discovery: boolean
}

const collect = (value: string, previous: string[]) => [...previous, value]

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Start the OpenAI / LM Studio compatible HTTP server')
    .option(
      '-p, --port <port>',
      'port to listen on (0 = any free port)',
      parseInteger,
      1234,
    )
    .option(
      '--host <address>',
      'address to bind (0.0.0.0 serves the LAN)',
      process.env.POCKET_HOST ?? '127.0.0.1',
    )
    .option('--cors', 'allow browser clients from any origin')
    .option(
      '--api-key <key>',
      'require `Authorization: Bearer <key>` (env POCKET_API_KEY)',
      process.env.POCKET_API_KEY,
    )
    .option(
      '--no-jit',
      'do not load models on first request; list only loaded ones',
    )
    .option(
      '--no-jit-auto-evict',
      'keep earlier JIT-loaded models instead of unloading them',
    )
    .option(
      '--jit-ttl <seconds>',
      'idle seconds before a JIT-loaded model unloads',
      parseInteger,
      3600,
    )
    .option(
      '--max-memory <GiB>',
      'memory budget for model weights (default 75% of RAM)',
      parseNumber,
    )
    .option(
      '--parallel <n>',
      'concurrent streams batched per loaded model (default 8)',
      parseInteger,
    )
    .option('--body-limit <size>', 'largest accepted request body', '32mb')
    .option(
      '--mcp-config <file>',
      'mcp.json with MCP servers (default: $POCKET_HOME/mcp.json when present)',
    )
    .option(
      '--log-level <level>',
      'request logs on stdout as JSON lines: trace, debug, info, warn, error, or silent',
      'info',
    )
    .option(
      '--allow-mcp',
      "let requests use mcp.json's servers (off by default)",
    )
    .option(
      '--allow-remote-mcp',
      'let requests name MCP servers by URL (off by default)',
    )
    .option(
      '--reasoning-tags <open,close>',
      'tags around reasoning to split into reasoning_content (default: from each chat template, else <think>,</think>)',
      parseReasoningTags,
    )
    .option(
      '--hive <code>',
      'join the hive with this code (from `pocket hive init`) and serve it',
      process.env.POCKET_HIVE,
    )
    .option(
      '--peer <host:port>',
      'a hive member to reach without multicast (repeatable)',
      collect,
      [],
    )
    .option('--device-name <name>', "this device's name in the hive")
    .option(
      '--payout <address>',
      'EVM address this device is paid at for hive work',
    )
    .option(
      '--battery-floor <percent>',
      'skip hive members discharging below this battery level',
      parseInteger,
      20,
    )
    .option('--no-discovery', 'do not advertise or browse by DNS-SD')
    .action(async (flags: ServeFlags) => {
      await serve(flags)
    })
}

async function serve(flags: ServeFlags): Promise<void> {
  const mcp = mcpOptions(flags)
  if (flags.payout && !/^0x[0-9a-fA-F]{40}$/.test(flags.payout))
    throw new UsageError(
      `--payout must be an EVM address (got "${flags.payout}").`,
    )
  for (const p of flags.peer)
    if (!/^[^\s:]+:\d+$/.test(p))
      throw new UsageError(`--peer takes host:port (got "${p}").`)
  const joined = flags.hive
    ? joinHive(flags.hive, { name: flags.deviceName, payout: flags.payout })
    : null
  const hive = joined
    ? new HiveMember({
        ...joined,
        peers: flags.peer,
        discovery: flags.discovery,
        bindHost: flags.host,
        policy: { batteryFloor: flags.batteryFloor },
      })
    : undefined
  const server = createServer({
    hive,
    mcp,
    log: { stdout: flags.logLevel !== 'silent', level: flags.logLevel },
    host: flags.host,
    port: flags.port,
    cors: flags.cors,
    apiKey: flags.apiKey,
    bodyLimit: flags.bodyLimit,
    // Stored /v1/responses survive a restart, next to the prompt cache.
    responses: { dir: join(getPocketHome(), 'responses') },
    threads: { dir: join(getPocketHome(), 'threads') },
    reasoningTags: flags.reasoningTags,
    residencyOptions: {
      jit: flags.jit,
      jitAutoEvict: flags.jitAutoEvict,
      defaultJitTtlSeconds: flags.jitTtl,
      ...(flags.parallel ? { defaultParallel: flags.parallel } : {}),
      ...(flags.maxMemory
        ? { memoryBudgetBytes: Math.floor(flags.maxMemory * 2 ** 30) }
        : {}),
    },
  })
  const { url } = await server.listen()
  if (hive) {
    const self = new URL(url)
    if (self.hostname === '0.0.0.0' || self.hostname === '[::]')
      self.hostname = '127.0.0.1'
    await hive.start(self.origin)
  }
  writeServerState({
    pid: process.pid,
    url,
    startedAt: new Date().toISOString(),
  })
  console.log(`pocket server listening on ${url}`)
  console.log(`  Web app:   ${url}/  (chat, models, server, hive)`)
  console.log(
    `  OpenAI:    ${url}/v1  (models, chat/completions, completions, embeddings, responses)`,
  )
  console.log(`  Anthropic: ${url}  (/v1/messages, /v1/messages/count_tokens)`)
  console.log(`  LM Studio: ${url}/api/v0, ${url}/api/v1`)
  console.log(`  LM Studio SDK: ws://${new URL(url).host}`)
  if (hive)
    console.log(
      `  Hive:      ${hive.hive.id} as device ${hive.device} (${hive.peers().length} peers so far; GET ${url}/v1/hive/peers)`,
    )
  if (flags.apiKey) console.log('  auth:      Bearer token required')
  if (mcp)
    console.log(
      `  MCP:       ${[mcp.allowConfigured && `mcp.json (${Object.keys(mcp.config?.mcpServers ?? {}).join(', ') || 'no servers'})`, mcp.allowRemote && 'per-request servers'].filter(Boolean).join(', ')}`,
    )
  const stop = async () => {
    clearServerState()
    await server.close()
    process.exit(0)
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

/** MCP is opt-in, and beyond 127.0.0.1 only with an API key. */
function mcpOptions(flags: ServeFlags) {
  if (!flags.allowMcp && !flags.allowRemoteMcp) return undefined
  const local = ['127.0.0.1', 'localhost', '::1'].includes(flags.host)
  if (!local && !flags.apiKey)
    throw new UsageError(
      'MCP tools run on this machine: serving them beyond 127.0.0.1 needs --api-key.',
    )
  const file = flags.mcpConfig ?? join(getPocketHome(), 'mcp.json')
  const config =
    flags.allowMcp && (flags.mcpConfig || existsSync(file))
      ? readMcpConfig(file)
      : undefined
  return {
    config,
    allowConfigured: !!flags.allowMcp,
    allowRemote: !!flags.allowRemoteMcp,
  }
}
