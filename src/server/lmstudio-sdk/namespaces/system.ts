// The SDK's `system` namespace: listDownloadedModels (the catalogue in the
// SDK's ModelInfo shape), version, the `alive` channel, notify and
// experiment flags (accepted, no effect); starting or stopping the HTTP
// server from the SDK is refused, since this connection is that server.
import type { ServerContext } from '../../context.ts'
import { modelInfo } from '../modelInfo.ts'
import type { Namespace } from '../protocol.ts'
import { SdkError } from '../serializeError.ts'

const VERSION = '0.1.0'

export function systemNamespace(ctx: ServerContext): Namespace {
  const flags = new Set<string>()
  return {
    channels: {
      // Held open while the client lives; nothing is ever sent on it.
      alive: () => {},
    },
    rpc: {
      listDownloadedModels: async () => {
        const loaded = ctx.residency.list()
        return (await ctx.catalogue.list()).map((m) =>
          modelInfo(
            m,
            loaded.find((i) => i.local.path === m.path),
          ),
        )
      },
      version: () => ({ version: VERSION, build: 0 }),
      notify: () => undefined,
      getExperimentFlags: () => [...flags],
      setExperimentFlag: (param) => {
        const p = param as { code?: unknown; value?: unknown }
        if (typeof p?.code !== 'string' || typeof p.value !== 'boolean')
          throw new SdkError(
            'setExperimentFlag takes { code: string, value: boolean }.',
          )
        if (p.value) flags.add(p.code)
        else flags.delete(p.code)
        return undefined
      },
      startHttpServer: () => {
        throw new SdkError(
          'This server is already the HTTP server; start another with `pocket serve`.',
        )
      },
      stopHttpServer: () => {
        throw new SdkError(
          'Stop the server with Ctrl-C or `pocket server stop`.',
        )
      },
    },
  }
}
