// `pocket chat` with piped stdin (no terminal). `pocket start` is the
// marketplace now: test/e2e/start.test.ts.
import { writeFileSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { writeTinyCheckpoint } from '../../helpers/tinyCheckpoint.ts'
import { runPocket } from './runPocket.ts'

describe('pocket chat (piped)', () => {
  it('answers each line', async () => {
    const r = await runPocket(
      ['chat', '-n', '8', '-t', '0', '--stats'],
      'Hello!\nWhat is 2+2?\n',
    )
    expect(r.code).toBe(0)
    // One stats line per answer shows two generations ran.
    expect(r.stderr.match(/tok\/s prefill/g)).toHaveLength(2)
    expect(r.stdout.trim().split('\n').length).toBeGreaterThanOrEqual(2)
  })

  it('stops at /exit and ignores what follows', async () => {
    const r = await runPocket(
      ['chat', '-n', '4', '--stats'],
      'Hi\n/exit\nNever answered\n',
    )
    expect(r.code).toBe(0)
    expect(r.stderr.match(/tok\/s prefill/g)).toHaveLength(1)
  })

  it('/reset starts a new conversation', async () => {
    const r = await runPocket(
      ['chat', '-n', '4', '-t', '0', '--stats'],
      'Hi\n/reset\nHi\n',
    )
    expect(r.code).toBe(0)
    const prompts = [...r.stderr.matchAll(/prompt (\d+) tok/g)].map((m) => m[1])
    // Same message after a reset: same prompt length, no history carried.
    expect(prompts).toHaveLength(2)
    expect(prompts[0]).toBe(prompts[1])
  })

  it("a reasoning model's thinking goes to stderr, the answer to stdout", async () => {
    // A tiny random model under a template that opens <think> (DeepSeek-R1
    // style): its whole reply is reasoning, so the answers are empty.
    const dir = await mkdtemp(join(tmpdir(), 'pocket-think-'))
    writeTinyCheckpoint(dir, 'llama')
    writeFileSync(
      join(dir, 'chat_template.jinja'),
      "{% for m in messages %}{{ '<|' + m.role + '|>' + m.content }}{% endfor %}{{ '<|Assistant|><think>\\n' }}",
    )
    const r = await runPocket(['chat', '-m', dir, '-n', '6', '-t', '0'], 'Hi\n')
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toBe('')
    expect(r.stderr.trim().length).toBeGreaterThan(0)
  })
})
