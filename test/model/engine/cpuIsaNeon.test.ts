// The integer-dot kernels' NEON path (native/src/qmm_q8_neon.cpp) against the
// scalar and AVX2 paths, across two architectures: test/native/q8IsaCheck.cpp
// is built for this x86-64 machine and cross-compiled for aarch64, then run
// with POCKET_CPU_ISA=scalar and the best path on each (AVX2 here, NEON
// `sdot` under qemu-aarch64 emulating a CPU with the dot-product extension).
// Every output of every product (4/8-bit weights, Q8_0 zero point, float16
// group constants, group sizes 32-128, 1-5 activation rows) must be the same
// float, bit for bit: receipts made on an ARM phone are audited on x86.
// Needs aarch64-linux-gnu-g++ and qemu-aarch64 (Debian: g++-aarch64-linux-gnu,
// qemu-user; .ci/run installs them); skips, saying so, without them.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { arch, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
// @ts-expect-error: a plain .mjs script module, without types
import { mlxDir } from '../../../scripts/paths.mjs'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const SOURCES = [
  'test/native/q8IsaCheck.cpp',
  'native/src/qmm_q8.cpp',
  'native/src/qmm_q8_neon.cpp',
].map((f) => join(ROOT, f))

const has = (cmd: string) =>
  spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0
const missing = ['g++', 'aarch64-linux-gnu-g++', 'qemu-aarch64'].filter(
  (c) => !has(c),
)
const reason =
  arch() !== 'x64'
    ? 'runs on an x86-64 host'
    : missing.length
      ? `needs ${missing.join(', ')} (apt: g++-aarch64-linux-gnu qemu-user)`
      : ''
if (reason) console.warn(`[cpuIsaNeon] skipped: ${reason}`)

function build(compiler: string, out: string, extra: string[]): void {
  execFileSync(
    compiler,
    [
      '-std=c++20',
      '-O2',
      '-ffp-contract=off', // as native/CMakeLists.txt builds these files
      ...extra,
      `-I${join(mlxDir(), 'include')}`,
      `-I${join(ROOT, 'native', 'src')}`,
      ...SOURCES,
      '-o',
      out,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
}

function run(cmd: string, args: string[], isa: string) {
  const r = spawnSync(cmd, args, {
    env: { ...process.env, POCKET_CPU_ISA: isa },
    maxBuffer: 1 << 26,
  })
  expect(r.status, r.stderr.toString()).toBe(0)
  const [name, count] = r.stderr.toString().trim().split(' ')
  return { isa: name, count: Number(count), bytes: r.stdout }
}

describe.skipIf(reason !== '')(
  'integer-dot kernels on NEON (qemu-aarch64)',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'pocket-q8-neon-'))
    afterAll(() => rmSync(dir, { recursive: true, force: true }))

    test('scalar, AVX2 and NEON give the same bits on x86-64 and aarch64', () => {
      const x86 = join(dir, 'check-x86'),
        arm = join(dir, 'check-arm')
      build('g++', x86, [])
      build('aarch64-linux-gnu-g++', arm, ['-static'])
      const qemu = (isa: string, cpu: string) =>
        run('qemu-aarch64', ['-cpu', cpu, arm], isa)
      const x86Scalar = run(x86, [], 'scalar')
      const x86Best = run(x86, [], 'auto')
      const armScalar = qemu('scalar', 'max')
      const armNeon = qemu('neon', 'max')
      expect([x86Scalar.isa, armScalar.isa, armNeon.isa]).toEqual([
        'scalar',
        'scalar',
        'neon',
      ])
      expect(x86Scalar.count).toBeGreaterThan(1000)
      expect(x86Scalar.bytes.length).toBe(x86Scalar.count * 4)
      expect(x86Best.bytes.equals(x86Scalar.bytes)).toBe(true)
      expect(armScalar.bytes.equals(x86Scalar.bytes)).toBe(true)
      expect(armNeon.bytes.equals(x86Scalar.bytes)).toBe(true)
      // A CPU without the dot-product extension (Cortex-A53) runs the scalar
      // path instead, with the same result.
      const a53 = qemu('neon', 'cortex-a53')
      expect(a53.isa).toBe('scalar')
      expect(a53.bytes.equals(x86Scalar.bytes)).toBe(true)
    }, 300_000)
  },
)
