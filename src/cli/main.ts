// The `pocket` program: registers one command per file and turns errors
// into one `error:` line (stack traces only with POCKET_DEBUG=1).
import { readFileSync } from 'node:fs'
import { Command, CommanderError } from 'commander'
import { BaseError } from '../engine/errors.ts'
import { registerAudit } from './commands/audit.ts'
import { registerBench } from './commands/bench.ts'
import { registerChat } from './commands/chat.ts'
import { registerGenerate } from './commands/generate.ts'
import { registerGet } from './commands/get.ts'
import { registerHive } from './commands/hive.ts'
import { registerImport } from './commands/import.ts'
import { registerIndex } from './commands/index.ts'
import { registerLoad } from './commands/load.ts'
import { registerLog } from './commands/log.ts'
import { registerLs } from './commands/ls.ts'
import { registerNode } from './commands/node.ts'
import { registerPs } from './commands/ps.ts'
import { registerRelay } from './commands/relay.ts'
import { registerSearch } from './commands/search.ts'
import { registerServe } from './commands/serve.ts'
import { registerServer } from './commands/server.ts'
import { registerStart } from './commands/start.ts'
import { registerTask } from './commands/task.ts'
import { registerUnload } from './commands/unload.ts'

// Every command, in help order: one file per command under commands/,
// imported above and listed here.
const commands: ((program: Command) => void)[] = [
  registerStart,
  registerGenerate,
  registerChat,
  registerServe,
  registerHive,
  registerServer,
  registerLog,
  registerGet,
  registerLs,
  registerPs,
  registerLoad,
  registerUnload,
  registerImport,
  registerBench,
  registerIndex,
  registerSearch,
  registerNode,
  registerRelay,
  registerTask,
  registerAudit,
]

const pkg = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as { version: string }

const program = new Command('pocket')
  .description('MLX inference in Node and a compute marketplace for it')
  .version(pkg.version)
  .showSuggestionAfterError()
  .exitOverride()
for (const register of commands) register(program)

try {
  await program.parseAsync(process.argv)
} catch (error) {
  process.exitCode = report(error)
}

/** Prints an error the way a CLI user wants it; returns the exit code. */
function report(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its one-line message (or the help).
    return error.exitCode
  }
  if (process.env.POCKET_DEBUG === '1') console.error(error)
  else if (error instanceof BaseError) {
    console.error(`error: ${error.shortMessage}`)
    if (error.details) console.error(`  ${error.details}`)
  } else {
    const message = error instanceof Error ? error.message : String(error)
    console.error(`error: ${message.split('\n')[0]}`)
    console.error('  (set POCKET_DEBUG=1 for the stack trace)')
  }
  return 1
}
