// The Models, Server and Hive views in headless Chromium against the real
// server and engine: the page and its CSP, load and unload, a download by
// hub id (from a local hub stand-in) with its progress bar, the live
// request log and the stats behind the counters, and the hive's 404.
import type { Page } from 'puppeteer-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WEB_CSP } from '../../../src/server/web/serveWebApp.ts'
import { SMOL_KEY } from '../../helpers/realServer.ts'
import { chromiumPath, screenshot, textOf } from './browser.ts'
import { MIRROR_KEY, startWebFixture, type WebFixture } from './webFixture.ts'

let f: WebFixture
let page: Page

describe.skipIf(!chromiumPath)(
  'models, server and hive views on pocket serve (Chromium)',
  () => {
    beforeAll(async () => {
      f = await startWebFixture()
      page = f.page
    })
    afterAll(async () => {
      await f?.close()
    })

    it('serves the app at / with a strict CSP', async () => {
      const res = await fetch(`${f.url}/`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-security-policy')).toBe(WEB_CSP)
      expect(await res.text()).toContain('<div id="app">')
    })

    it('loads and unloads a model', async () => {
      await fetch(`${f.url}/api/v1/models/unload`, {
        method: 'POST',
        body: JSON.stringify({ instance_id: SMOL_KEY }),
      }).catch(() => {})
      await f.open('models')
      const row = `tr[data-model="${SMOL_KEY}"]`
      await page.waitForSelector(row)
      await page.click(`${row} button[aria-label="Load ${SMOL_KEY}"]`)
      await page.waitForSelector(`${row} [data-instance]`)
      expect(await textOf(page, `${row} [data-instance]`)).toMatch(/cpu/)
      await screenshot(page, 'models')
      const id = await page.$eval(`${row} [data-instance]`, (e) =>
        e.getAttribute('data-instance'),
      )
      await page.click(`${row} button[aria-label="Unload ${id}"]`)
      await page.waitForFunction(
        (sel) => !document.querySelector(`${sel} [data-instance]`),
        {},
        row,
      )
      const v1 = (await (await fetch(`${f.url}/api/v1/models`)).json()) as {
        models: { key: string; loaded_instances: unknown[] }[]
      }
      expect(
        v1.models.find((m) => m.key === SMOL_KEY)?.loaded_instances,
      ).toEqual([])
    })

    it('downloads a model by hub id with a progress bar', async () => {
      await f.open('models')
      await page.type('#hub-id', MIRROR_KEY)
      await page.keyboard.press('Enter')
      const status = '[aria-label="Download a model"] [role="status"]'
      await page.waitForFunction(
        (sel) =>
          document.querySelector(sel)?.textContent?.startsWith('completed'),
        { timeout: 60_000 },
        status,
      )
      expect(await textOf(page, status)).toMatch(
        /^completed · 93\.\d MiB of 93\.\d MiB/,
      )
      const bar = await page.$eval(
        '[aria-label="Download a model"] progress',
        (e) => [
          (e as HTMLProgressElement).value,
          (e as HTMLProgressElement).max,
        ],
      )
      expect(bar[0]).toBe(bar[1])
      expect(bar[1]).toBeGreaterThan(90e6)
      // the downloaded model is listed and loadable
      await page.waitForSelector(`tr[data-model="${MIRROR_KEY}"]`, {
        timeout: 10_000,
      })
    })

    it('shows the live request log and stats', async () => {
      await f.open('server')
      await page.waitForFunction(() =>
        document
          .querySelector('[aria-label="Request log"] h2')
          ?.textContent?.includes('live'),
      )
      const before = (await (await fetch(`${f.url}/api/v1/stats`)).json()) as {
        requests: { total: number; errors: number }
      }
      // one generation and one rejected request
      const chat = (body: object) =>
        fetch(`${f.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            model: SMOL_KEY,
            messages: [{ role: 'user', content: 'Hi' }],
            ...body,
          }),
        })
      expect((await chat({ max_tokens: 4 })).status).toBe(200)
      expect((await chat({ max_token: 4 })).status).toBe(400)
      await page.waitForFunction(() =>
        [...document.querySelectorAll('[data-testid="log-rows"] tr')].some(
          (tr) =>
            tr.textContent?.includes('POST /v1/chat/completions') &&
            tr.textContent.includes('400') &&
            tr.textContent.includes("Unknown parameter: 'max_token'"),
        ),
      )
      // the counters the page shows come from /api/v1/stats
      const s = (await (await fetch(`${f.url}/api/v1/stats`)).json()) as {
        requests: { total: number; errors: number }
        tokens: { prompt: number; completion: number; cached: number }
        decodeSeconds: number
        memory: { weightsBytes: number; budgetBytes: number; rssBytes: number }
      }
      // the two chats and the first stats call at least
      expect(s.requests.total).toBeGreaterThanOrEqual(before.requests.total + 3)
      expect(s.requests.errors).toBe(before.requests.errors + 1)
      expect(s.tokens.completion).toBeGreaterThan(0)
      expect(s.tokens.prompt).toBeGreaterThan(0)
      expect(s.decodeSeconds).toBeGreaterThan(0)
      expect(s.memory.budgetBytes).toBeGreaterThan(0)
      expect(s.memory.rssBytes).toBeGreaterThan(0)
      await page.waitForFunction(() =>
        /Decode tok\/s \(avg\)\d/.test(
          document.querySelector('[aria-label="Server statistics"]')
            ?.textContent ?? '',
        ),
      )
      expect(await textOf(page, '[aria-label="Server statistics"]')).toMatch(
        /Requests\d+Errors \(4xx\/5xx\)\d+/,
      )
      await screenshot(page, 'server')
    })

    it('says so when the server has no hive', async () => {
      await f.open('hive')
      await page.waitForSelector('[aria-label="Hive devices"] [role="status"]')
      expect(
        await textOf(page, '[aria-label="Hive devices"] [role="status"]'),
      ).toMatch(/not part of a hive/)
      await screenshot(page, 'hive')
    })

    it('ran without page errors or CSP violations', () => {
      expect(f.problems).toEqual([])
    })
  },
)
