// Batched attention: a fused decoder layer runs every sequence's attention of
// a batched step as one pool dispatch (sdpa::run_many). test/native/
// sdpaBatchCheck.cpp builds the real kernels and worker pool and checks, on
// 24 rounds of 1-9 pseudo-random calls (decode rows and causal prompt chunks,
// GQA groups of 1-4, head dims 64/80/256, keys read from a window offset in a
// cache buffer), that every output float equals what sdpa::run gives that call
// alone, on 2 threads and on 1. Needs g++ (skips, saying so, without it).
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
// @ts-expect-error: a plain .mjs script module, without types
import { mlxDir } from '../../../scripts/paths.mjs'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const SOURCES = [
  'test/native/sdpaBatchCheck.cpp',
  'native/src/sdpa_kernels.cpp',
  'native/src/qmm_kernels.cpp', // the worker pool
  'native/src/qmm_q8.cpp',
  'native/src/qmm_q8_neon.cpp',
].map((f) => join(ROOT, f))

const hasCompiler = spawnSync('sh', ['-c', 'command -v g++']).status === 0
if (!hasCompiler) console.warn('[sdpaBatch] skipped: needs g++')

describe.skipIf(!hasCompiler)('batched attention dispatch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pocket-sdpa-batch-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  test('run_many gives every call the bits run gives it alone', () => {
    const bin = join(dir, 'sdpa-batch-check')
    execFileSync(
      'g++',
      [
        '-std=c++20',
        '-O2',
        `-I${join(mlxDir(), 'include')}`,
        `-I${join(ROOT, 'native', 'src')}`,
        ...SOURCES,
        '-lpthread',
        '-o',
        bin,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
    for (const threads of ['2', '1']) {
      const r = spawnSync(bin, [], {
        env: { ...process.env, POCKET_NUM_THREADS: threads },
      })
      const out = r.stdout.toString().trim()
      expect(r.status, `${out}\n${r.stderr}`).toBe(0)
      const [word, count] = out.split(' ')
      expect(word).toBe('ok')
      expect(Number(count)).toBeGreaterThan(100_000)
    }
  }, 300_000)
})
