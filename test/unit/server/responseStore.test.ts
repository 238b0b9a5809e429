// ResponseStore: bounded, persisted as one JSON file per response, read back
// by a new store over the same folder (a restart), oldest dropped first,
// and ids that could escape the folder refused.
import { mkdtemp, readdir, rm, utimes } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ResponseStore } from '../../../src/server/state/ResponseStore.ts'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pocket-store-'))
})
afterEach(() => rm(dir, { recursive: true, force: true }))

const stored = (id: string, text = id) => ({
  response: { id, created_at: 1, output: [{ text }] },
  input: [{ role: 'user', content: text }],
})

describe('ResponseStore', () => {
  it('survives a restart: a new store over the folder reads the responses back', async () => {
    const a = new ResponseStore({ dir })
    a.put(stored('resp_a', 'hello'))
    a.put(stored('resp_b'))
    const b = new ResponseStore({ dir })
    expect(b.size).toBe(2)
    expect(b.get('resp_a')).toEqual(stored('resp_a', 'hello'))
    expect(b.delete('resp_a')).toBe(true)
    expect(b.delete('resp_a')).toBe(false)
    expect(await readdir(dir)).toEqual(['resp_b.json'])
    expect(new ResponseStore({ dir }).get('resp_a')).toBeUndefined()
  })

  it('keeps at most maxResponses, dropping the oldest (files too)', async () => {
    const s = new ResponseStore({ dir, maxResponses: 3, cacheSize: 1 })
    for (const id of ['resp_1', 'resp_2', 'resp_3', 'resp_4']) s.put(stored(id))
    expect(s.size).toBe(3)
    expect(s.get('resp_1')).toBeUndefined()
    expect(s.get('resp_2')).toEqual(stored('resp_2')) // from disk
    expect((await readdir(dir)).sort()).toEqual([
      'resp_2.json',
      'resp_3.json',
      'resp_4.json',
    ])
    // On restart with a smaller bound, the oldest files by time go.
    await utimes(join(dir, 'resp_4.json'), 1, 1)
    const t = new ResponseStore({ dir, maxResponses: 2 })
    expect(t.get('resp_4')).toBeUndefined()
    expect((await readdir(dir)).sort()).toEqual(['resp_2.json', 'resp_3.json'])
  })

  it('memory only without a folder; bad ids are never looked up on disk', () => {
    const s = new ResponseStore({ maxResponses: 2 })
    s.put(stored('resp_x'))
    expect(s.get('resp_x')).toBeDefined()
    expect(s.get('../etc/passwd')).toBeUndefined()
    expect(() => s.put(stored('../evil'))).toThrow(/bad id/)
  })
})
