// `pocket unload [identifier]` / `--all`: unloads models from the server.
import type { Command } from 'commander'
import { callServer } from '../callServer.ts'
import { UsageError } from '../errors.ts'

type V1Models = { models: { loaded_instances: { id: string }[] }[] }

export function registerUnload(program: Command): void {
  program
    .command('unload')
    .description('Unload a model instance from the running server')
    .argument('[identifier]', 'instance identifier (see `pocket ps`)')
    .option('-a, --all', 'unload every loaded model')
    .option('--url <url>', 'server URL (default: the running `pocket serve`)')
    .action(
      async (
        identifier: string | undefined,
        flags: { all?: boolean; url?: string },
      ) => {
        if (!identifier && !flags.all)
          throw new UsageError('Name an instance to unload, or pass --all.')
        if (identifier && flags.all)
          throw new UsageError('Pass an identifier or --all, not both.')
        const ids = identifier
          ? [identifier]
          : (
              await callServer<V1Models>('GET', '/api/v1/models', {
                url: flags.url,
              })
            ).models.flatMap((m) => m.loaded_instances.map((i) => i.id))
        for (const id of ids) {
          await callServer('POST', '/api/v1/models/unload', {
            url: flags.url,
            body: { instance_id: id },
          })
          console.log(`Unloaded ${id}`)
        }
        if (ids.length === 0) console.log('No models loaded.')
      },
    )
}
