// `pocket ps`: models loaded in the running server, with status and TTL.
import type { Command } from 'commander'
import { callServer } from '../callServer.ts'
import { formatBytes, printTable } from './ls.ts'

type Instance = {
  id: string
  config: { context_length: number }
  status: string
  active_requests: number
  jit: boolean
  ttl_seconds: number | null
  ttl_remaining_seconds: number | null
  path: string
  backend?: string
  dtype?: string
}
type V1Models = {
  models: { key: string; size_bytes: number; loaded_instances: Instance[] }[]
}

export function registerPs(program: Command): void {
  program
    .command('ps')
    .description('List models loaded in the running server')
    .option('--url <url>', 'server URL (default: the running `pocket serve`)')
    .option('--json', 'print JSON')
    .action(async (flags: { url?: string; json?: boolean }) => {
      const { models } = await callServer<V1Models>('GET', '/api/v1/models', {
        url: flags.url,
      })
      const loaded = models.flatMap((m) =>
        m.loaded_instances.map((i) => ({
          ...i,
          key: m.key,
          size: m.size_bytes,
        })),
      )
      if (flags.json) {
        console.log(JSON.stringify(loaded, null, 2))
        return
      }
      if (loaded.length === 0) {
        console.log('No models loaded. Load one with `pocket load <model>`.')
        return
      }
      printTable([
        [
          'IDENTIFIER',
          'MODEL',
          'SIZE',
          'CONTEXT',
          'BACKEND',
          'STATUS',
          'TTL',
          'LOADED BY',
        ],
        ...loaded.map((i) => [
          i.id,
          i.key,
          formatBytes(i.size),
          String(i.config.context_length),
          i.backend ? `${i.backend} ${i.dtype ?? ''}`.trim() : '-',
          i.active_requests > 0 ? `generating (${i.active_requests})` : 'idle',
          i.ttl_seconds == null
            ? '-'
            : `${i.ttl_remaining_seconds ?? i.ttl_seconds}s / ${i.ttl_seconds}s`,
          i.jit ? 'jit' : 'load',
        ]),
      ])
    })
}
