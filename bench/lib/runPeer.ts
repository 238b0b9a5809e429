// Runs one Python peer harness (bench/peers/*.py) in its own process, with
// the request as JSON on stdin, and parses its JSON answer.
import { spawn } from 'node:child_process'
import { VENV_PYTHON } from './peerPython.ts'

export type PeerRun = {
  promptTokens: number
  ttftMs: number
  prefillTps: number
  decodeTps: number
  tokens?: number[]
}

export type PeerResult = {
  runs: PeerRun[]
  peakRssMb: number
  version: string
  weightBytes?: number
}

export { VENV_PYTHON }

export function runPython<T>(
  script: string,
  input: unknown,
  threads = 2,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(VENV_PYTHON, [script], {
      stdio: ['pipe', 'pipe', 'pipe'],
      // Keep BLAS/OpenMP inside the same thread budget as the engine.
      env: {
        ...process.env,
        OPENBLAS_NUM_THREADS: String(threads),
        OMP_NUM_THREADS: String(threads),
      },
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0)
        return reject(
          new Error(
            `${script} exited ${code}: ${err.trim().split('\n').slice(-3).join(' ')}`,
          ),
        )
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as T)
      } catch {
        reject(new Error(`${script} printed no JSON: ${out.slice(0, 200)}`))
      }
    })
    child.stdin.end(JSON.stringify(input))
  })
}
