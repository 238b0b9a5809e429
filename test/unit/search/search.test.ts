// The search pipeline without the engine: line-span chunking, the sqlite-vec
// store (persisted, re-indexing only changed files) and top-k ranking, with
// a tiny deterministic bag-of-words embedder standing in for the model.
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chunkText } from '../../../src/search/chunkText.ts'
import { indexFiles } from '../../../src/search/indexFiles.ts'
import { searchIndex } from '../../../src/search/searchIndex.ts'
import type { Embedder } from '../../../src/search/types.ts'
import { VectorStore } from '../../../src/search/VectorStore.ts'

const VOCAB = [
  'cat',
  'dog',
  'pet',
  'car',
  'engine',
  'wheel',
  'tax',
  'money',
  'bank',
]
const bagOfWords: Embedder = {
  info: { path: 'test/bag-of-words' },
  dimensions: VOCAB.length + 1,
  async embed(texts) {
    return {
      vectors: texts.map((t) => {
        const v = new Float32Array(VOCAB.length + 1)
        v[VOCAB.length] = 0.01
        for (const w of t.toLowerCase().match(/[a-z]+/g) ?? []) {
          const i = VOCAB.indexOf(w.replace(/s$/, ''))
          if (i >= 0) v[i] = (v[i] as number) + 1
        }
        const n = Math.hypot(...v)
        return v.map((x) => x / n)
      }),
    }
  },
}

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pocket-search-'))
  await mkdir(join(dir, 'docs', 'node_modules'), { recursive: true })
  await writeFile(
    join(dir, 'docs', 'pets.md'),
    '# Pets\n\nA cat and a dog are pets.\n\nDogs like walks.\n',
  )
  await writeFile(
    join(dir, 'docs', 'cars.txt'),
    'The engine turns the wheel.\nA car needs an engine.\n',
  )
  await writeFile(
    join(dir, 'docs', 'node_modules', 'ignored.js'),
    'cat cat cat',
  )
  await writeFile(join(dir, 'docs', 'blob.bin'), Buffer.from([1, 0, 2, 3]))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('chunkText', () => {
  it('keeps paragraphs with 1-based line spans', () => {
    const spans = chunkText('a\nb\n\nc\n', { maxChars: 3 })
    expect(spans).toEqual([
      { startLine: 1, endLine: 2, text: 'a\nb' },
      { startLine: 4, endLine: 4, text: 'c' },
    ])
  })

  it('cuts long text at line boundaries and huge lines in pieces', () => {
    const text = Array.from({ length: 50 }, (_, i) => `line ${i}`).join('\n')
    const spans = chunkText(text, { maxChars: 100 })
    expect(spans.length).toBeGreaterThan(3)
    expect(spans[0]?.startLine).toBe(1)
    expect(spans.at(-1)?.endLine).toBe(50)
    for (const s of spans) expect(s.text.length).toBeLessThanOrEqual(100)
    expect(
      chunkText('x'.repeat(250), { maxChars: 100 }).map((s) => s.text.length),
    ).toEqual([100, 100, 50])
  })
})

describe('VectorStore + indexFiles + searchIndex', () => {
  it('indexes a folder, persists, and finds spans by meaning', async () => {
    const path = join(dir, 'index.sqlite')
    {
      using store = VectorStore.open(path)
      const r = await indexFiles(store, bagOfWords, [join(dir, 'docs')], {
        maxChars: 30,
      })
      expect(r).toMatchObject({ indexed: 2, skipped: 1 })
      expect(store.stats()).toMatchObject({
        files: 2,
        model: 'test/bag-of-words',
        dimensions: 10,
      })
    }
    using store = VectorStore.open(path)
    const hits = await searchIndex(store, bagOfWords, {
      query: 'my pet cat',
      k: 2,
    })
    expect(hits[0]).toMatchObject({
      path: join(dir, 'docs', 'pets.md'),
      startLine: 3,
      endLine: 3,
    })
    expect(hits[0]?.text).toContain('cat')
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score)
    expect(hits[0]!.score).toBeLessThanOrEqual(1.0001)
    const car = await searchIndex(store, bagOfWords, { query: 'engine', k: 1 })
    expect(car[0]?.path).toBe(join(dir, 'docs', 'cars.txt'))
  })

  it('re-embeds only changed files and replaces their spans', async () => {
    using store = VectorStore.open(join(dir, 'reindex.sqlite'))
    await indexFiles(store, bagOfWords, [join(dir, 'docs')], { maxChars: 30 })
    const again = await indexFiles(store, bagOfWords, [join(dir, 'docs')], {
      maxChars: 30,
    })
    expect(again).toMatchObject({ indexed: 0, unchanged: 2 })
    const file = join(dir, 'docs', 'cars.txt')
    await writeFile(file, 'Taxes and money at the bank.\n')
    await utimes(file, new Date(), new Date(Date.now() + 5000))
    const changed = await indexFiles(store, bagOfWords, [join(dir, 'docs')], {
      maxChars: 30,
    })
    expect(changed).toMatchObject({ indexed: 1, unchanged: 1 })
    expect(store.stats().chunks).toBe(4)
    const hits = await searchIndex(store, bagOfWords, { query: 'bank', k: 1 })
    expect(hits[0]?.text).toContain('bank')
  })

  it('refuses a different model and bad queries', async () => {
    using store = VectorStore.open(join(dir, 'index.sqlite'))
    const other = { ...bagOfWords, info: { path: 'other/model' } }
    await expect(indexFiles(store, other, [join(dir, 'docs')])).rejects.toThrow(
      /built with test\/bag-of-words/,
    )
    await expect(
      searchIndex(store, bagOfWords, { query: '  ' }),
    ).rejects.toThrow(/query/)
    await expect(
      searchIndex(store, bagOfWords, { query: 'x', k: 0 }),
    ).rejects.toThrow(/k/)
  })
})
