// Starts the real HTTP server on 127.0.0.1:0 over fake models (see
// fakeModel.ts), with a static catalogue; returns the URL and the loads.
import { resolveModel } from '../../src/models/ModelStore.ts'
import type { LocalModel, ModelCatalogue } from '../../src/models/types.ts'
import {
  type CreateServerOptions,
  createServer,
} from '../../src/server/createServer.ts'
import { FakeModel, type FakeModelOptions, fakeLocal } from './fakeModel.ts'

export type FakeServerOptions = Omit<
  CreateServerOptions,
  'catalogue' | 'loader'
> & {
  models?: LocalModel[]
  modelOptions?: FakeModelOptions
}

export async function startFakeServer(o: FakeServerOptions = {}) {
  const models = o.models ?? [
    fakeLocal('test/tiny-chat-GGUF', { alias: 'tiny-chat' }),
    fakeLocal('test/tiny-embed', {
      type: 'embeddings',
      variant: null,
      format: 'safetensors',
    }),
  ]
  const catalogue: ModelCatalogue = {
    list: async () => models,
    resolve: async (id) => resolveModel(models, id),
  }
  const loaded: FakeModel[] = []
  const server = createServer({
    ...o,
    port: 0,
    catalogue,
    loader: async (local) => {
      const m = new FakeModel(local.path, {
        ...o.modelOptions,
        type: local.type,
      })
      loaded.push(m)
      return m
    },
  })
  const { url } = await server.listen()
  return { server, url, loaded, close: () => server.close() }
}
