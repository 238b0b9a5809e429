// Spawns the real `pocket` binary (bin/pocket.js) with Node 22, optionally
// piping text to stdin, and collects its output and exit code.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const BIN = fileURLToPath(new URL('../../../bin/pocket.js', import.meta.url))

export type PocketRun = { code: number | null; stdout: string; stderr: string }

export function runPocket(args: string[], stdin = ''): Promise<PocketRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, POCKET_DEBUG: '' },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(stdin)
  })
}
