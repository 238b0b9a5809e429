// `pocket log stream`: the running server's request log as it happens
// (like `lms log stream`): one line per request (time, method, path,
// status, duration, model, error), or the raw JSON records with --json.
import type { Command } from 'commander'
import { serverUrl } from '../callServer.ts'
import { UsageError } from '../errors.ts'

type Record = {
  time?: number
  level?: number
  method?: string
  path?: string
  status?: number
  ms?: number
  model?: string
  error?: string
  msg?: string
}

export function registerLog(program: Command): void {
  const log = program.command('log').description('Server logs')
  log
    .command('stream')
    .description("Print the running server's request log as it happens")
    .option('--url <url>', 'server URL (default: the running `pocket serve`)')
    .option('--json', 'print the JSON records')
    .action(async (flags: { url?: string; json?: boolean }) => {
      const base = serverUrl(flags.url)
      const key = process.env.POCKET_API_KEY
      const res = await fetch(`${base}/api/v1/logs/stream`, {
        headers: key ? { authorization: `Bearer ${key}` } : {},
      }).catch((cause) => {
        throw new UsageError(`Cannot reach the pocket server at ${base}.`, {
          cause,
        })
      })
      if (!res.ok || !res.body)
        throw new UsageError(
          `The server answered ${res.status} to the log stream.`,
        )
      console.error(`Streaming logs from ${base} (Ctrl-C to stop)`)
      const decoder = new TextDecoder()
      let buffer = ''
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk, { stream: true })
        let end = buffer.indexOf('\n\n')
        while (end >= 0) {
          const frame = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          end = buffer.indexOf('\n\n')
          if (!frame.startsWith('data: ')) continue
          const line = frame.slice('data: '.length)
          console.log(flags.json ? line : format(JSON.parse(line) as Record))
        }
      }
    })
}

function format(r: Record): string {
  const time = new Date(r.time ?? Date.now()).toISOString().slice(11, 23)
  if (!r.method) return `${time} ${r.msg ?? ''}`
  const parts = [time, r.method, r.path, String(r.status), `${r.ms}ms`]
  if (r.model) parts.push(r.model)
  if (r.error) parts.push(`- ${r.error}`)
  return parts.join(' ')
}
