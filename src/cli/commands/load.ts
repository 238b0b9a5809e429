// `pocket load <model>`: loads a model into the running server.
import type { Command } from 'commander'
import { callServer } from '../callServer.ts'
import { parseInteger } from '../parseOptions.ts'

type LoadFlags = {
  contextLength?: number
  ttl?: number
  identifier?: string
  parallel?: number
  dtype?: string
  url?: string
  json?: boolean
}
type LoadReply = {
  instance_id: string
  load_time_seconds: number
  load_config?: { context_length: number; backend?: string; dtype?: string }
}

export function registerLoad(program: Command): void {
  program
    .command('load')
    .description('Load a model into the running server')
    .argument('<model>', 'model key, key@quant or alias (see `pocket ls`)')
    .option(
      '-c, --context-length <n>',
      'context length in tokens',
      parseInteger,
    )
    .option(
      '--ttl <seconds>',
      'unload after this many idle seconds',
      parseInteger,
    )
    .option(
      '--identifier <id>',
      'name to address this instance by in API requests',
    )
    .option(
      '--parallel <n>',
      'concurrent streams batched together (default 8)',
      parseInteger,
    )
    .option(
      '--dtype <dtype>',
      'activation dtype: float32, float16 or bfloat16 (default: float32 on the CPU, float16 on a GPU)',
    )
    .option('--url <url>', 'server URL (default: the running `pocket serve`)')
    .option('--json', 'print JSON')
    .action(async (model: string, flags: LoadFlags) => {
      const reply = await callServer<LoadReply>('POST', '/api/v1/models/load', {
        url: flags.url,
        body: {
          model,
          context_length: flags.contextLength,
          ttl: flags.ttl,
          identifier: flags.identifier,
          parallel: flags.parallel,
          dtype: flags.dtype,
          echo_load_config: true,
        },
      })
      if (flags.json) console.log(JSON.stringify(reply, null, 2))
      else {
        const c = reply.load_config
        const ctx = c
          ? `, context ${c.context_length}${c.backend ? `, ${c.backend} ${c.dtype}` : ''}`
          : ''
        console.log(
          `Loaded ${reply.instance_id} in ${reply.load_time_seconds.toFixed(2)} s${ctx}`,
        )
      }
    })
}
