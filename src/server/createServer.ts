// The HTTP server: OpenAI-compatible /v1/* (Responses included),
// Anthropic's /v1/messages, LM Studio /api/v0/* and /api/v1/*, one JSON
// body parser, one 404 for unknown routes, one error mapping. Binds
// 127.0.0.1 unless told otherwise.
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express, { type Express } from 'express'
import type { ReasoningTags } from '../engine/reasoning/types.ts'
import type { HiveMember } from '../hive/HiveMember.ts'
import { mountClientRoutes, mountMemberRoutes } from '../hive/hiveRoutes.ts'
import { hiveRouting } from '../hive/routing.ts'
import { DownloadJobs } from '../models/download/DownloadJobs.ts'
import { engineLoader } from '../models/engineLoader.ts'
import { ModelStore } from '../models/ModelStore.ts'
import {
  ModelResidency,
  type ModelResidencyOptions,
} from '../models/residency/ModelResidency.ts'
import type { ModelCatalogue, ModelLoader } from '../models/types.ts'
import type { ServerContext } from './context.ts'
import {
  handleAnthropicError,
  handleError,
  RouteNotFoundError,
} from './errors.ts'
import { GenerationCounters } from './generation/GenerationCounters.ts'
import { attachSdkServer } from './lmstudio-sdk/wsServer.ts'
import { requestLog } from './logging/requestLog.ts'
import { ServerLog, type ServerLogOptions } from './logging/ServerLog.ts'
import { McpHub, type McpHubOptions } from './mcp/McpHub.ts'
import { cors, requireApiKey } from './middleware.ts'
import { countTokens } from './routes/anthropic/countTokens.ts'
import { messages } from './routes/anthropic/messages.ts'
import { greeting } from './routes/lmstudio-sdk/greeting.ts'
import { getModelV0, listModelsV0 } from './routes/lmstudio-v0/models.ts'
import { chatV1 } from './routes/lmstudio-v1/chat.ts'
import { downloadStatus, startDownload } from './routes/lmstudio-v1/download.ts'
import {
  loadModelRoute,
  unloadModelRoute,
} from './routes/lmstudio-v1/loadUnload.ts'
import { listModelsV1 } from './routes/lmstudio-v1/models.ts'
import { chatCompletions } from './routes/openai/chatCompletions.ts'
import { completions } from './routes/openai/completions.ts'
import { embeddings } from './routes/openai/embeddings.ts'
import { listModels } from './routes/openai/models.ts'
import { createResponse } from './routes/openai/responses/create.ts'
import { listInputItems } from './routes/openai/responses/inputItems.ts'
import { deleteResponse } from './routes/openai/responses/remove.ts'
import { retrieveResponse } from './routes/openai/responses/retrieve.ts'
import { logStream } from './routes/pocket/logStream.ts'
import { search } from './routes/pocket/search.ts'
import { stats } from './routes/pocket/stats.ts'
import {
  ResponseStore,
  type ResponseStoreOptions,
} from './state/ResponseStore.ts'
import { ThreadStore } from './state/ThreadStore.ts'
import { serveWebApp } from './web/serveWebApp.ts'

export type CreateServerOptions = {
  host?: string
  /** 0 picks a free port. Default 1234 (LM Studio's). */
  port?: number
  cors?: boolean
  /** When set, every request needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string
  /** Largest accepted JSON body (express/bytes syntax). Default 32mb. */
  bodyLimit?: string | number
  catalogue?: ModelCatalogue
  loader?: ModelLoader
  residency?: ModelResidency
  residencyOptions?: Omit<ModelResidencyOptions, 'catalogue' | 'loader'>
  downloads?: DownloadJobs
  /**
   * Where /v1/responses results are kept for previous_response_id: a store,
   * or its options (a folder persists them; default memory only).
   */
  responses?: ResponseStore | ResponseStoreOptions
  /** /api/v1/chat threads: bounded; a folder persists them (default memory only). */
  threads?: ResponseStoreOptions
  /** MCP tools: mcp.json servers and per-request servers (both off by default). */
  mcp?: McpHubOptions
  /** Request logs: stdout and level (default: not on stdout, still streamable). */
  log?: ServerLogOptions
  /**
   * Tags around a model's reasoning, e.g. `{ open: '<think>', close:
   * '</think>' }`. Default: detected from each model's chat template.
   */
  reasoningTags?: ReasoningTags
  /**
   * The web app's built files, served at `/` (default web/dist); false
   * serves no page.
   */
  webApp?: string | false
  /** Hive membership: routes generation across the hive's members. */
  hive?: HiveMember
}

export type PocketServer = {
  app: Express
  context: ServerContext
  /** Resolves with the bound address. */
  listen(): Promise<{ host: string; port: number; url: string }>
  /** Stops accepting, ends open streams, unloads models. Safe twice. */
  close(): Promise<void>
}

export function createServer(options: CreateServerOptions = {}): PocketServer {
  const catalogue = options.catalogue ?? new ModelStore()
  const residency =
    options.residency ??
    new ModelResidency({
      ...options.residencyOptions,
      catalogue,
      loader: options.loader ?? engineLoader,
    })
  const context: ServerContext = {
    residency,
    catalogue,
    downloads: options.downloads ?? new DownloadJobs(),
    threads: new ThreadStore(options.threads),
    generations: new GenerationCounters(),
    responses:
      options.responses instanceof ResponseStore
        ? options.responses
        : new ResponseStore(options.responses),
    reasoningTags: options.reasoningTags,
    mcp: new McpHub(options.mcp),
    log: new ServerLog(options.log),
    ...(options.hive ? { hive: hiveRouting(options.hive) } : {}),
  }
  options.hive?.attach(context)
  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)
  // The page and its assets are public (no data in them) and not logged.
  if (options.webApp !== false) app.use(serveWebApp(options.webApp))
  app.use(requestLog(context.log))
  if (options.cors) app.use(cors())
  // Discovery for LM Studio's SDK: public, like LM Studio's.
  app.get('/lmstudio-greeting', greeting())
  // Hive members authenticate by signature, not by the API key.
  if (options.hive) mountMemberRoutes(app, context, options.hive)
  if (options.apiKey) app.use(requireApiKey(options.apiKey))
  // Any body is parsed as JSON: curl's default form content type included.
  app.use(
    express.json({ limit: options.bodyLimit ?? '32mb', type: () => true }),
  )

  app.get('/v1/models', listModels(context))
  app.post('/v1/chat/completions', chatCompletions(context))
  app.post('/v1/completions', completions(context))
  app.post('/v1/embeddings', embeddings(context))
  app.post('/v1/responses', createResponse(context))
  app.get('/v1/responses/:id', retrieveResponse(context))
  app.delete('/v1/responses/:id', deleteResponse(context))
  app.get('/v1/responses/:id/input_items', listInputItems(context))
  app.post('/v1/messages', messages(context))
  app.post('/v1/messages/count_tokens', countTokens(context))

  app.get('/api/v0/models', listModelsV0(context))
  app.get('/api/v0/models/*id', getModelV0(context))
  app.post('/api/v0/chat/completions', chatCompletions(context, 'v0'))
  app.post('/api/v0/completions', completions(context, 'v0'))
  app.post('/api/v0/embeddings', embeddings(context))

  app.get('/api/v1/models', listModelsV1(context))
  app.post('/api/v1/models/load', loadModelRoute(context))
  app.post('/api/v1/models/unload', unloadModelRoute(context))
  app.post('/api/v1/models/download', startDownload(context))
  app.get('/api/v1/models/download/status/:job_id', downloadStatus(context))
  app.post('/api/v1/chat', chatV1(context))
  app.post('/api/v1/search', search(context))
  app.get('/api/v1/logs/stream', logStream(context.log))
  app.get('/api/v1/stats', stats(context))
  if (options.hive) mountClientRoutes(app, options.hive)

  app.use((req) => {
    throw new RouteNotFoundError(req.method, req.path)
  })
  // Anthropic clients read Anthropic-shaped errors (bad JSON, auth, 404 too).
  app.use('/v1/messages', handleAnthropicError)
  app.use(handleError)

  let server: Server | null = null
  let sdk: { close(): void } | null = null
  let closing: Promise<void> | null = null
  return {
    app,
    context,
    listen: () =>
      new Promise((resolve, reject) => {
        const host = options.host ?? '127.0.0.1'
        const listening = app.listen(
          options.port ?? 1234,
          host,
          (error?: Error) => {
            if (error) return reject(error)
            const { port } = listening.address() as AddressInfo
            const shown = host.includes(':') ? `[${host}]` : host
            resolve({ host, port, url: `http://${shown}:${port}` })
          },
        )
        server = listening
        // LM Studio's SDK: websockets on the same port.
        sdk = attachSdkServer(listening, context, {
          apiKey: options.apiKey,
          cors: options.cors,
        })
        listening.once('error', reject)
      }),
    close: () => {
      closing ??= (async () => {
        await options.hive?.stop()
        sdk?.close()
        if (server) {
          const done = new Promise<void>((r) => server?.close(() => r()))
          server.closeAllConnections()
          await done
        }
        await Promise.all([residency.dispose(), context.mcp.close()])
      })()
      return closing
    },
  }
}
