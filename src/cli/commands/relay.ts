// `pocket relay`: runs the payload relay for private tasks
// (src/privacy/startRelay.ts) until Ctrl-C.
import { join } from 'node:path'
import type { Command } from 'commander'
import { defaultHome } from '../../../node/openNode.ts'
import { startRelay } from '../../privacy/startRelay.ts'
import { UsageError } from '../errors.ts'

export function registerRelay(program: Command): void {
  program
    .command('relay')
    .description(
      'Run the payload relay for private tasks (ciphertexts and key announcements)',
    )
    .option('--port <n>', 'port', '8788')
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option(
      '--dir <path>',
      'where blobs and slots are kept (default ~/.pocket/relay)',
    )
    .action(async (f: { port: string; host: string; dir?: string }) => {
      const port = Number(f.port)
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UsageError(`--port must be 0..65535, not ${f.port}.`)
      const relay = await startRelay({
        port,
        host: f.host,
        dir: f.dir ?? join(defaultHome(), 'relay'),
      })
      console.log(`relay at ${relay.url} (Ctrl-C to stop)`)
      const stop = async () => {
        await relay.close()
        process.exit(0)
      }
      process.on('SIGINT', stop)
      process.on('SIGTERM', stop)
    })
}
