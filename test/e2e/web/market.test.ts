// The market view in headless Chromium against `pocket start --keep` (real
// chain, indexer, node daemon and SmolLM2): the demo task's receipt shows
// "verified ✓", computed in the page; a task posted from the page's form
// with the dev account is bid on, assigned to the best bid, committed and
// verified the same way; nodes and payouts are listed. SIGINT then leaves
// no process behind.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'
import type { Browser, Page } from 'puppeteer-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  chromiumPath,
  launchBrowser,
  screenshot,
  textOf,
  watchPage,
} from './browser.ts'
import { ensureWebBuilt } from './buildWeb.ts'

const root = join(import.meta.dirname, '..', '..', '..')
let child: ChildProcess
let output = ''
let exited: Promise<number | null>
let chainPort: number
let browser: Browser
let page: Page
let problems: string[]
let marketUrl: string

async function until<T>(check: () => T | undefined, what: string, ms: number) {
  const end = Date.now() + ms
  for (;;) {
    const v = check()
    if (v !== undefined) return v
    if (child.exitCode !== null)
      throw new Error(`pocket start exited before ${what}:\n${output}`)
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

const verdict = '[data-testid="receipt-verdict"]'

/** A free port on 127.0.0.1 for the chain (so leftovers can be found by it). */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })

describe.skipIf(!chromiumPath)('market view on pocket start (Chromium)', () => {
  beforeAll(async () => {
    ensureWebBuilt()
    chainPort = await freePort()
    child = spawn(
      process.execPath,
      [
        'bin/pocket.js',
        'start',
        '--keep',
        '--tasks',
        '1',
        '-n',
        '12',
        '--port',
        String(chainPort),
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString()
    })
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString()
    })
    exited = new Promise((resolve) =>
      child.once('exit', (code, signal) =>
        resolve(code ?? (signal ? -1 : null)),
      ),
    )
    marketUrl = await until(
      () => output.match(/Open the market view: (\S+)/)?.[1],
      'the market view URL',
      300_000,
    )
    browser = await launchBrowser()
    page = await browser.newPage()
    await page.setViewport({ width: 1200, height: 900 })
    problems = watchPage(page)
  }, 330_000)

  afterAll(async () => {
    await browser?.close()
    if (child && child.exitCode === null) {
      child.kill('SIGINT')
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
      await exited
      clearTimeout(timer)
    }
  }, 90_000)

  it('is the last line npm start prints', () => {
    expect(output.trimEnd().split('\n').at(-1)).toBe(
      `Open the market view: ${marketUrl}`,
    )
    expect(marketUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#\/market$/)
  })

  it("verifies the demo task's receipt in the page", async () => {
    await page.goto(marketUrl, { waitUntil: 'load' })
    await page.waitForFunction(() =>
      document
        .querySelector('[aria-label="Tasks"] ul button')
        ?.textContent?.includes('POCKET'),
    )
    await page.click('[aria-label="Tasks"] ul li:first-child button')
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.textContent?.includes('verified'),
      { timeout: 30_000 },
      verdict,
    )
    expect(await textOf(page, verdict)).toBe('verified ✓')
    expect(await textOf(page, '[data-testid="task-prompt"]')).toMatch(/^user: /)
    expect(
      (await textOf(page, '[data-testid="task-answer"]')).trim().length,
    ).toBeGreaterThan(0)
    const checks = await page.$$eval(
      '[aria-label="Verification checks"] li',
      (els) => els.map((e) => e.textContent ?? ''),
    )
    expect(checks.map((c) => c.slice(0, 1))).toEqual(['✓', '✓', '✓', '✓', '✓'])
    expect(checks.join('\n')).toMatch(/node signature: recovered 0x/)
    // the node ranked by reputation, with its payout
    await page.waitForSelector(
      '[aria-label="Nodes by reputation"] tbody tr svg',
    )
    expect(await textOf(page, '[aria-label="Payouts"] tbody')).toMatch(
      /task_payment 1 POCKET/,
    )
    await screenshot(page, 'market')
  })

  it('posts a task from the form, assigns it and verifies its receipt', async () => {
    await page.$eval('#task-prompt', (e) => {
      const el = e as HTMLTextAreaElement
      el.value = ''
    })
    await page.type('#task-prompt', 'Say hello.')
    await page.click('[aria-label="Post a task"] button[type="submit"]')
    await page.waitForFunction(() => /#\/market\/\d+$/.test(location.hash), {
      timeout: 60_000,
    })
    const id = (await page.evaluate(() => location.hash)).split('/').at(-1)
    // the node bids; assign the best-ranked bid
    await page.waitForFunction(
      () => {
        const b = [
          ...document.querySelectorAll('[data-testid="task-detail"] button'),
        ].find((x) => x.textContent?.includes('Assign the best bid')) as
          | HTMLButtonElement
          | undefined
        return b && !b.disabled
      },
      { timeout: 60_000 },
    )
    const buttons = await page.$$('[data-testid="task-detail"] button')
    for (const b of buttons)
      if ((await b.evaluate((x) => x.textContent))?.includes('Assign'))
        await b.click()
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.textContent?.includes('verified'),
      { timeout: 120_000 },
      verdict,
    )
    expect(await textOf(page, verdict)).toBe('verified ✓')
    expect(await textOf(page, '[data-testid="task-prompt"]')).toBe(
      'user: Say hello.',
    )
    const res = await fetch(`${new URL(marketUrl).origin}/indexer/tasks/${id}`)
    const body = (await res.json()) as { task: { state: string } }
    expect(['Committed', 'Finalized']).toContain(body.task.state)
  }, 240_000)

  it('ran without page errors or CSP violations', () => {
    expect(problems).toEqual([])
  })

  it('stops cleanly on SIGINT', async () => {
    child.kill('SIGINT')
    expect(await exited).toBe(0)
    expect(output).toMatch(/stopped: daemons, indexer and chain are down/)
    const leftovers = execFileSync('ps', ['-eo', 'pid=,args='], {
      encoding: 'utf8',
    })
      .split('\n')
      .filter((l) => l.includes(`--port ${chainPort}`))
    expect(leftovers).toEqual([])
  }, 90_000)
})
