// The prefix cache survives a restart: saved on dispose, restored on load.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadModel } from '../../../src/engine/index.ts'
import { smollm2Path } from '../../helpers/models.ts'

const chat = [
  {
    role: 'system' as const,
    content: 'You are a terse assistant. Answer in one short sentence.',
  },
  { role: 'user' as const, content: 'Name a color of the sky.' },
]

async function run(model: Awaited<ReturnType<typeof loadModel>>) {
  const s = model.generate(chat, { temperature: 0, maxTokens: 6 })
  for await (const _ of s);
  return s.result
}

describe('prompt cache persistence', () => {
  it('reuses the saved KV after the model is unloaded and loaded again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pocket-pc-'))
    const first = await loadModel(smollm2Path(), { promptCacheDir: dir })
    const cold = await run(first)
    expect(cold.cachedTokens).toBe(0)
    await first.dispose() // writes the cache
    const second = await loadModel(smollm2Path(), { promptCacheDir: dir })
    const warm = await run(second)
    expect(warm.cachedTokens).toBeGreaterThan(cold.promptTokens / 2)
    expect(warm.tokenIds).toEqual(cold.tokenIds)
    await second.dispose()
  })

  it('ignores a damaged cache file instead of failing to load', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pocket-pc-'))
    const probe = await loadModel(smollm2Path(), { promptCacheDir: dir })
    const file = probe.promptCacheFile as string
    await probe.dispose()
    writeFileSync(file, Buffer.from('not a safetensors file at all'))
    const model = await loadModel(smollm2Path(), { promptCacheDir: dir })
    expect((await run(model)).cachedTokens).toBe(0)
    await expect(model.loadPromptCache(file)).rejects.toThrow()
    await model.dispose()
  })
})
