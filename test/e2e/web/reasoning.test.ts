// A reasoning model's thinking in the Chat view: the real server splits a
// <think> block out of the stream (reasoning_content deltas) and the page
// shows it folded above the answer. The engine is the scripted fake model
// of the server's reasoning tests (no small real reasoning model ships
// with the registry packages); everything from the HTTP stream on is real.
import type { Browser, Page } from 'puppeteer-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeServer } from '../../helpers/fakeServer.ts'
import { QWEN3_STYLE, THINK_REPLY } from '../../helpers/reasoningServer.ts'
import { chromiumPath, launchBrowser, textOf, watchPage } from './browser.ts'
import { ensureWebBuilt } from './buildWeb.ts'

let srv: Awaited<ReturnType<typeof startFakeServer>>
let browser: Browser
let page: Page
let problems: string[]

describe.skipIf(!chromiumPath)('reasoning in the chat view (Chromium)', () => {
  beforeAll(async () => {
    ensureWebBuilt()
    srv = await startFakeServer({
      modelOptions: { reply: THINK_REPLY, template: QWEN3_STYLE },
    })
    browser = await launchBrowser()
    page = await browser.newPage()
    problems = watchPage(page)
  })
  afterAll(async () => {
    await browser?.close()
    await srv?.close()
  })

  it('folds the reasoning above the answer', async () => {
    await page.goto(`${srv.url}/#/chat`, { waitUntil: 'load' })
    await page.waitForFunction(
      () =>
        (document.querySelector('#model') as HTMLSelectElement | null)
          ?.value === 'test/tiny-chat-GGUF',
    )
    await page.type('#message', 'Hi')
    await page.keyboard.press('Enter')
    const reply = 'article[data-role="assistant"]'
    await page.waitForSelector(`${reply} [data-testid="reply-stats"]`)
    const details = `${reply} details[data-testid="reasoning"]`
    expect(
      await page.$eval(details, (d) => (d as HTMLDetailsElement).open),
    ).toBe(false)
    expect(await textOf(page, `${details} div`)).toBe('I should greet.')
    expect(
      (await textOf(page, `${reply} [data-testid="content"]`)).trim(),
    ).toBe('Hello!')
    // opened by keyboard: focus the summary, press Enter
    await page.focus(`${details} summary`)
    await page.keyboard.press('Enter')
    expect(
      await page.$eval(details, (d) => (d as HTMLDetailsElement).open),
    ).toBe(true)
    expect(problems).toEqual([])
  })
})
