// Usage errors: one `error:` line (plus at most a details line), no stack
// trace, non-zero exit code.
import { describe, expect, it } from 'vitest'
import { runPocket } from './runPocket.ts'

function expectOneLineError(r: {
  code: number | null
  stderr: string
  stdout: string
}) {
  expect(r.code).not.toBe(0)
  const lines = r.stderr.trim().split('\n')
  expect(lines[0]).toMatch(/^error: /)
  expect(lines.length).toBeLessThanOrEqual(2)
  expect(r.stderr).not.toMatch(/\n\s+at /)
}

describe('pocket usage errors', () => {
  it('rejects an unknown option', async () => {
    expectOneLineError(await runPocket(['generate', '--bogus', 'hi']))
  })

  it('rejects a bad number', async () => {
    expectOneLineError(
      await runPocket(['generate', '--max-tokens', 'lots', 'hi']),
    )
  })

  it('reports a missing model file', async () => {
    const r = await runPocket([
      'generate',
      '-m',
      '/nonexistent/model.gguf',
      'hi',
    ])
    expectOneLineError(r)
    expect(r.stderr).toContain('/nonexistent/model.gguf')
  })

  it('reports an unknown model id', async () => {
    expectOneLineError(
      await runPocket(['generate', '-m', 'nobody/no-such-model', 'hi']),
    )
  })

  it('rejects an empty prompt on stdin', async () => {
    expectOneLineError(await runPocket(['generate'], '\n'))
  })

  it('rejects an unknown command', async () => {
    expectOneLineError(await runPocket(['frobnicate']))
  })
})
