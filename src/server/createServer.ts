// The HTTP server: OpenAI-compatible /v1/*, LM Studio /api/v0/* and
// /api/v1/*, one JSON body parser, one 404 for unknown routes, one error
// mapping. Binds 127.0.0.1 unless told otherwise.
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express, { type Express } from 'express'
import type { ReasoningTags } from '../engine/reasoning/types.ts'
import { DownloadJobs } from '../models/download/DownloadJobs.ts'
import { engineLoader } from '../models/engineLoader.ts'
import { ModelStore } from '../models/ModelStore.ts'
import {
  ModelResidency,
  type ModelResidencyOptions,
} from '../models/residency/ModelResidency.ts'
import type { ModelCatalogue, ModelLoader } from '../models/types.ts'
import type { ServerContext } from './context.ts'
import { handleError, RouteNotFoundError } from './errors.ts'
import { GenerationCounters } from './generation/GenerationCounters.ts'
import { cors, requireApiKey } from './middleware.ts'
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
import { search } from './routes/pocket/search.ts'
import { stats } from './routes/pocket/stats.ts'

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
   * Tags around a model's reasoning, e.g. `{ open: '<think>', close:
   * '</think>' }`. Default: detected from each model's chat template.
   */
  reasoningTags?: ReasoningTags
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
    threads: new Map(),
    generations: new GenerationCounters(),
    reasoningTags: options.reasoningTags,
  }
  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)
  if (options.cors) app.use(cors())
  if (options.apiKey) app.use(requireApiKey(options.apiKey))
  // Any body is parsed as JSON: curl's default form content type included.
  app.use(
    express.json({ limit: options.bodyLimit ?? '32mb', type: () => true }),
  )

  app.get('/v1/models', listModels(context))
  app.post('/v1/chat/completions', chatCompletions(context))
  app.post('/v1/completions', completions(context))
  app.post('/v1/embeddings', embeddings(context))

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
  app.get('/api/v1/stats', stats(context))

  app.use((req) => {
    throw new RouteNotFoundError(req.method, req.path)
  })
  app.use(handleError)

  let server: Server | null = null
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
        listening.once('error', reject)
      }),
    close: () => {
      closing ??= (async () => {
        if (server) {
          const done = new Promise<void>((r) => server?.close(() => r()))
          server.closeAllConnections()
          await done
        }
        await residency.dispose()
      })()
      return closing
    },
  }
}
