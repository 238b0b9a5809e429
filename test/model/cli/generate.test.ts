// `pocket generate` against the real SmolLM2 weights.
import { describe, expect, it } from 'vitest'
import { runPocket } from './runPocket.ts'

describe('pocket generate', () => {
  it('streams a completion and exits 0', async () => {
    const r = await runPocket([
      'generate',
      '-n',
      '8',
      '-t',
      '0',
      'What is the capital of France?',
    ])
    expect(r.code).toBe(0)
    expect(r.stdout.trim().length).toBeGreaterThan(0)
    expect(r.stdout).toContain('Paris')
  })

  it('reads the prompt from stdin and prints JSON with stats', async () => {
    const r = await runPocket(
      ['generate', '-n', '5', '--seed', '7', '--json'],
      'Say hi\n',
    )
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(typeof out.text).toBe('string')
    expect(out.stats.completionTokens).toBeLessThanOrEqual(5)
    expect(out.stats.seed).toBe(7)
    expect(out.stats.tokenIds).toHaveLength(out.stats.completionTokens)
  })

  it('is reproducible with a seed', async () => {
    const args = [
      'generate',
      '-n',
      '6',
      '-t',
      '0.9',
      '--seed',
      '42',
      '--json',
      'Tell me a story',
    ]
    const [a, b] = [await runPocket(args), await runPocket(args)]
    expect(JSON.parse(a.stdout).stats.tokenIds).toEqual(
      JSON.parse(b.stdout).stats.tokenIds,
    )
  })

  it('decodes speculatively with --draft-model prompt-lookup, same tokens', async () => {
    const prompt =
      'Repeat exactly: the cat sat on the mat and the dog sat on the log.'
    const base = ['generate', '-n', '20', '-t', '0', '--json', prompt]
    const plain = JSON.parse((await runPocket(base)).stdout)
    const r = await runPocket([...base, '--draft-model', 'prompt-lookup'])
    expect(r.code).toBe(0)
    const spec = JSON.parse(r.stdout)
    expect(spec.stats.tokenIds).toEqual(plain.stats.tokenIds)
    expect(spec.stats.speculative.draftModel).toBe('prompt-lookup')
    expect(spec.stats.speculative.acceptedDraftTokens).toBeGreaterThan(0)
  })

  it('prints --stats to stderr, not stdout', async () => {
    const r = await runPocket([
      'generate',
      '-n',
      '3',
      '--raw',
      '--stats',
      'The sky is',
    ])
    expect(r.code).toBe(0)
    expect(r.stderr).toMatch(/tok\/s prefill/)
    expect(r.stdout).not.toMatch(/tok\/s/)
  })
})
