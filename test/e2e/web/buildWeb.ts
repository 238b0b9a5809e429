// Makes sure web/dist exists for the browser tests (npm install builds it;
// a fresh checkout without it gets one `vite build`).
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..', '..', '..')

export function ensureWebBuilt(): void {
  if (existsSync(join(root, 'web', 'dist', 'index.html'))) return
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--config',
      join(root, 'web', 'vite.config.ts'),
      '--logLevel',
      'warn',
    ],
    { cwd: root, stdio: 'inherit' },
  )
}
