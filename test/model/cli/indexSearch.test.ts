// `pocket index add` and `pocket search` through the real binary with the
// real all-MiniLM-L6-v2 weights and a temporary index file.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasEncoders } from '../../helpers/encoders.ts'
import { runPocket } from './runPocket.ts'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pocket-cli-index-'))
  await writeFile(
    join(dir, 'garden.txt'),
    'Tomatoes need sun and regular watering.\n\nPrune the roses in early spring.\n',
  )
  await writeFile(
    join(dir, 'finance.txt'),
    'Interest rates rose again this quarter.\n',
  )
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe.skipIf(!hasEncoders)('pocket index / pocket search', () => {
  it('indexes a folder and finds the closest span with its lines', async () => {
    const index = join(dir, 'index.sqlite')
    const add = await runPocket([
      'index',
      'add',
      dir,
      '--index',
      index,
      '--max-chars',
      '50',
    ])
    expect(add.code, add.stderr).toBe(0)
    expect(add.stdout).toContain('2 file(s) indexed (3 spans)')
    const found = await runPocket([
      'search',
      'how often should I water my plants',
      '-k',
      '2',
      '--index',
      index,
      '--json',
    ])
    expect(found.code, found.stderr).toBe(0)
    const hits = JSON.parse(found.stdout) as {
      path: string
      startLine: number
      endLine: number
      score: number
    }[]
    expect(hits).toHaveLength(2)
    expect(hits[0]).toMatchObject({
      path: join(dir, 'garden.txt'),
      startLine: 1,
      endLine: 1,
    })
    const again = await runPocket(['index', 'add', dir, '--index', index])
    expect(again.stdout).toContain('2 unchanged')
  })

  it('gives one-line usage errors', async () => {
    const empty = await runPocket([
      'search',
      'x',
      '--index',
      join(dir, 'empty.sqlite'),
    ])
    expect(empty.code).not.toBe(0)
    expect(empty.stderr).toMatch(/^error: the index .* is empty/m)
    expect(empty.stderr).not.toMatch(/at .*\.ts:\d+/)
  })
})
