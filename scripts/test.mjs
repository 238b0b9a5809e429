// `npm test`: Biome (format + lint), Solidity tests (Hardhat), then every
// vitest tier (unit, chain, model, e2e). Prints one closing line
// "N passed, N failed" over all of them.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stripVTControlCharacters } from 'node:util'

let passed = 0
let failed = 0
let skipped = 0

function run(cmd, args) {
  console.log(`\n$ ${cmd} ${args.join(' ')}`)
  const r = spawnSync(cmd, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  })
  process.stdout.write(r.stdout ?? '')
  return { status: r.status ?? 1, out: r.stdout ?? '' }
}

// Formatting and lint (one Biome config); a failure counts as a failed test.
{
  const lint = run('npx', ['biome', 'ci', '.'])
  if (lint.status === 0) passed += 1
  else failed += 1
}

if (existsSync('contracts') && process.env.POCKET_SKIP_SOLIDITY !== '1') {
  const r = run('npx', ['hardhat', 'test', 'solidity'])
  // Hardhat's Solidity runner ends with lines like "12 passing" / "1 failing".
  const clean = stripVTControlCharacters(r.out)
  const pass = /(\d+) passing/.exec(clean)
  const fail = /(\d+) failing/.exec(clean)
  passed += Number(pass?.[1] ?? 0)
  failed += Number(fail?.[1] ?? 0)
  if (r.status !== 0 && !fail) failed += 1
}

const report = join(mkdtempSync(join(tmpdir(), 'pocket-test-')), 'vitest.json')
const args = [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile=${report}`,
]
if (process.argv.length > 2) args.push(...process.argv.slice(2))
const r = run('npx', args)
if (existsSync(report)) {
  const j = JSON.parse(readFileSync(report, 'utf8'))
  passed += j.numPassedTests
  failed += j.numFailedTests
  skipped += j.numPendingTests + (j.numTodoTests ?? 0)
  if (r.status !== 0 && j.numFailedTests === 0) failed += 1 // a suite failed to load
} else if (r.status !== 0) {
  failed += 1
}

console.log(
  `\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`,
)
process.exit(failed > 0 ? 1 : 0)
