// `pocket serve --api-key`: the page and its assets load without the key,
// every API call needs it; the app asks for it once (login field), keeps
// it in sessionStorage, and sends it as a Bearer token, also on the SSE
// log stream. Keyboard only: the key is typed and submitted with Enter.
import type { Browser, Page } from 'puppeteer-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SMOL_KEY, startRealServer } from '../../helpers/realServer.ts'
import {
  chromiumPath,
  launchBrowser,
  screenshot,
  watchPage,
} from './browser.ts'
import { ensureWebBuilt } from './buildWeb.ts'

const KEY = 'web-test-key'
let srv: Awaited<ReturnType<typeof startRealServer>>
let browser: Browser
let page: Page
let problems: string[]

describe.skipIf(!chromiumPath)('web app with --api-key (Chromium)', () => {
  beforeAll(async () => {
    ensureWebBuilt()
    srv = await startRealServer({ apiKey: KEY })
    browser = await launchBrowser()
    page = await browser.newPage()
    await page.setViewport({ width: 1000, height: 640 })
    problems = watchPage(page)
  })
  afterAll(async () => {
    await browser?.close()
    await srv?.close()
  })

  it('serves the page publicly and the API only with the key', async () => {
    const html = await (await fetch(`${srv.url}/`)).text()
    const asset = html.match(/src="(\/assets\/[^"]+\.js)"/)?.[1]
    expect(asset).toBeTruthy()
    expect((await fetch(`${srv.url}${asset}`)).status).toBe(200)
    expect((await fetch(`${srv.url}/v1/models`)).status).toBe(401)
  })

  it('asks for the key, then shows the models', async () => {
    await page.goto(`${srv.url}/#/models`, { waitUntil: 'load' })
    await page.waitForSelector('#api-key')
    await screenshot(page, 'login')
    await page.focus('#api-key')
    await page.keyboard.type(KEY)
    await page.keyboard.press('Enter')
    await page.waitForSelector(`tr[data-model="${SMOL_KEY}"]`)
    expect(
      await page.evaluate(() => sessionStorage.getItem('pocket.apiKey')),
    ).toBe(KEY)
  })

  it('streams the request log with the key', async () => {
    await page.goto(`${srv.url}/#/server`, { waitUntil: 'load' })
    await page.waitForFunction(() =>
      document
        .querySelector('[aria-label="Request log"] h2')
        ?.textContent?.includes('live'),
    )
    await fetch(`${srv.url}/api/v0/models`, {
      headers: { authorization: `Bearer ${KEY}` },
    })
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[data-testid="log-rows"] tr')].some((tr) =>
        tr.textContent?.includes('GET /api/v0/models'),
      ),
    )
  })

  it('asks again when the key is wrong', async () => {
    await page.evaluate(() => sessionStorage.setItem('pocket.apiKey', 'wrong'))
    await page.goto(`${srv.url}/#/models`, { waitUntil: 'load' })
    await page.reload({ waitUntil: 'load' })
    await page.waitForSelector('#api-key')
  })

  it('ran without page errors or CSP violations', () => {
    expect(problems).toEqual([])
  })
})
