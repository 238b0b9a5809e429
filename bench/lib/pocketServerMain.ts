// Child-process entry for the benchmarks: the real server (createServer,
// as `pocket serve --no-jit --parallel N` runs it) over a temporary hub
// cache holding SmolLM2 (test/helpers/realServer.ts), without going through
// the CLI. Prints `listening on <url>`; SIGTERM closes it cleanly.
import { parseArgs } from 'node:util'
import { startRealServer } from '../../test/helpers/realServer.ts'

const { values } = parseArgs({
  options: { parallel: { type: 'string' } },
})
const parallel = values.parallel ? Number(values.parallel) : undefined
const srv = await startRealServer({
  residencyOptions: {
    jit: false,
    ...(parallel ? { defaultParallel: parallel } : {}),
  },
})
console.log(`listening on ${srv.url}`)
process.once('SIGTERM', async () => {
  await srv.close()
  process.exit(0)
})
