// The web app in headless Chromium against the real server with the real
// engine (SmolLM2 weights, a tiny random SmolVLM written into the hub
// cache): a streamed chat reply with its speed, stopping a generation,
// the API's error message, loading and unloading a model, an image sent to
// the vision model, the server's log and stats, the hive's 404, and the
// page's CSP.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'puppeteer-core'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WEB_CSP } from '../../../src/server/web/serveWebApp.ts'
import { hasEncoders } from '../../helpers/encoders.ts'
import { SMOL_KEY, startRealServer } from '../../helpers/realServer.ts'
import { writeTinyVlm } from '../../helpers/tinyVlm.ts'
import {
  chromiumPath,
  launchBrowser,
  screenshot,
  textOf,
  watchPage,
} from './browser.ts'
import { ensureWebBuilt } from './buildWeb.ts'

const VLM_KEY = 'pocket-test/tiny-smolvlm'
let srv: Awaited<ReturnType<typeof startRealServer>>
let browser: Browser
let page: Page
let problems: string[]
let dir: string

type Stats = { cancelledGenerations: number; completedGenerations: number }
const stats = async () =>
  (await (await fetch(`${srv.url}/api/v1/stats`)).json()) as Stats

async function open(route: string) {
  await page.goto(`${srv.url}/#/${route}`, { waitUntil: 'load' })
}

/** Picks `value` in the chat's model select. */
async function pickModel(value: string) {
  await page.waitForFunction(
    (v) =>
      [...(document.querySelector('#model') as HTMLSelectElement).options].some(
        (o) => o.value === v,
      ),
    {},
    value,
  )
  await page.select('#model', value)
}

async function setValue(selector: string, value: string) {
  await page.$eval(
    selector,
    (e, v) => {
      const el = e as HTMLInputElement | HTMLTextAreaElement
      const proto = Object.getPrototypeOf(el)
      Object.getOwnPropertyDescriptor(proto, 'value')?.set?.call(el, v)
      el.dispatchEvent(new Event('input', { bubbles: true }))
    },
    value,
  )
}

async function send(text: string) {
  await page.type('#message', text)
  await page.keyboard.press('Enter')
}

const lastReply = 'article[data-role="assistant"]:last-of-type'

describe.skipIf(!chromiumPath)('web app on pocket serve (Chromium)', () => {
  beforeAll(async () => {
    ensureWebBuilt()
    dir = await mkdtemp(join(tmpdir(), 'pocket-web-'))
    srv = await startRealServer({}, async (hub) => {
      const repo = join(hub, 'models--pocket-test--tiny-smolvlm')
      await mkdir(join(repo, 'refs'), { recursive: true })
      await writeFile(join(repo, 'refs', 'main'), 'r1')
      writeTinyVlm(join(repo, 'snapshots', 'r1'), 'idefics3')
    })
    browser = await launchBrowser()
    page = await browser.newPage()
    await page.setViewport({ width: 1200, height: 760 })
    problems = watchPage(page)
  })
  afterAll(async () => {
    await browser?.close()
    await srv?.close()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('serves the app at / with a strict CSP', async () => {
    const res = await fetch(`${srv.url}/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-security-policy')).toBe(WEB_CSP)
    expect(await res.text()).toContain('<div id="app">')
  })

  it('streams a chat reply and shows its speed', async () => {
    await open('chat')
    await pickModel(SMOL_KEY)
    await setValue('#max-tokens', '24')
    // count how often the reply text changes while it streams
    await send('Name three colors.')
    await page.waitForSelector(lastReply)
    const updates = await page.evaluate(
      (sel) =>
        new Promise<number>((resolve) => {
          let n = 0
          const el = document.querySelector(sel) as HTMLElement
          const obs = new MutationObserver(() => {
            n++
          })
          obs.observe(el, {
            subtree: true,
            characterData: true,
            childList: true,
          })
          const done = setInterval(() => {
            if (el.querySelector('[data-testid="reply-stats"]')) {
              clearInterval(done)
              obs.disconnect()
              resolve(n)
            }
          }, 50)
        }),
      lastReply,
    )
    expect(updates).toBeGreaterThan(2)
    const content = await textOf(page, `${lastReply} [data-testid="content"]`)
    expect(content.trim().length).toBeGreaterThan(0)
    const line = await textOf(page, `${lastReply} [data-testid="reply-stats"]`)
    expect(line).toMatch(/tok\/s/)
    expect(line).toMatch(/TTFT \d+ ms/)
    expect(line).toMatch(/\d+ tokens/)
    await screenshot(page, 'chat')
  })

  it('switches to dark and fits a phone screen', async () => {
    const theme = 'header button[aria-label^="Theme"]'
    await page.click(theme)
    expect(
      await page.evaluate(() => document.documentElement.dataset.theme),
    ).toBe('dark')
    await screenshot(page, 'chat-dark')
    await page.setViewport({ width: 390, height: 800 })
    // nothing wider than the screen: no sideways scrolling
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth),
    ).toBeLessThanOrEqual(390)
    await screenshot(page, 'chat-phone')
    await page.setViewport({ width: 1200, height: 760 })
    await page.click(theme)
    await page.click(theme)
    expect(
      await page.evaluate(() => document.documentElement.dataset.theme),
    ).toBeUndefined()
  })

  it('stops a generation', async () => {
    const before = await stats()
    await setValue('#max-tokens', '4000')
    await send('Write a very long story about the sea.')
    await page.waitForFunction(
      (sel) =>
        (document.querySelector(`${sel} [data-testid="content"]`)?.textContent
          ?.length ?? 0) > 8,
      {},
      lastReply,
    )
    await page.click('button.danger')
    await page.waitForSelector(`${lastReply} [data-testid="reply-stats"]`)
    expect(
      await textOf(page, `${lastReply} [data-testid="reply-stats"]`),
    ).toMatch(/stopped/)
    // the server saw the disconnect and cancelled the generation
    for (let i = 0; i < 100; i++) {
      if ((await stats()).cancelledGenerations > before.cancelledGenerations)
        break
      await new Promise((r) => setTimeout(r, 100))
    }
    expect((await stats()).cancelledGenerations).toBe(
      before.cancelledGenerations + 1,
    )
    await setValue('#max-tokens', '24')
  })

  it("shows the API's error message", async () => {
    await page.click('#structured')
    await setValue(
      '#schema',
      '{"type": "object", "properties": {"a": {"type": "nope"}}}',
    )
    await send('Invent a person.')
    await page.waitForSelector(`${lastReply} [role="alert"]`)
    expect(await textOf(page, `${lastReply} [role="alert"]`)).toMatch(
      /Invalid response_format\.json_schema\.schema at \/properties\/a\/type/,
    )
    await page.click('#structured')
  })

  it('keeps conversations in IndexedDB across a reload', async () => {
    await page.reload({ waitUntil: 'load' })
    await page.waitForSelector('nav[aria-label="Conversations"] li')
    const titles = await page.$$eval(
      'nav[aria-label="Conversations"] li button:first-child',
      (els) => els.map((e) => e.textContent),
    )
    expect(titles).toContain('Name three colors.')
  })

  it.skipIf(!hasEncoders)('sends an image to a vision model', async () => {
    await open('chat')
    await pickModel(VLM_KEY)
    const n = 32
    const raw = Buffer.alloc(n * n * 3)
    for (let i = 0; i < n * n; i++)
      raw.set([i % 256, 255 - (i % 256), 90], i * 3)
    const png = join(dir, 'dots.png')
    await sharp(raw, { raw: { width: n, height: n, channels: 3 } })
      .png()
      .toFile(png)
    // dropped on the composer, as a user drags a file onto it
    const b64 = (await readFile(png)).toString('base64')
    await page.evaluate(async (data) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0))
      const dt = new DataTransfer()
      dt.items.add(new File([bytes], 'dots.png', { type: 'image/png' }))
      const zone = document.querySelector(
        'form[aria-label="Compose a message"]',
      )
      zone?.dispatchEvent(
        new DragEvent('drop', {
          dataTransfer: dt,
          bubbles: true,
          cancelable: true,
        }),
      )
    }, b64)
    await page.waitForSelector('button[aria-label="Remove image dots.png"]')
    await setValue('#max-tokens', '6')
    await send('What is in the picture?')
    await page.waitForSelector(`${lastReply} [data-testid="reply-stats"]`)
    expect(await page.$(`${lastReply} [role="alert"]`)).toBeNull()
    expect(
      await page.$('article[data-role="user"] img[alt="Attachment dots.png"]'),
    ).not.toBeNull()
    expect(
      await textOf(page, `${lastReply} [data-testid="reply-stats"]`),
    ).toMatch(/\d+ tokens/)
    // and through the file picker (the keyboard path)
    const input = await page.waitForSelector('#image-input')
    await (
      input as unknown as { uploadFile(p: string): Promise<void> }
    ).uploadFile(png)
    await page.waitForSelector('button[aria-label="Remove image dots.png"]')
  })

  it('loads and unloads a model', async () => {
    await fetch(`${srv.url}/api/v1/models/unload`, {
      method: 'POST',
      body: JSON.stringify({ instance_id: SMOL_KEY }),
    }).catch(() => {})
    await open('models')
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
    const v1 = (await (await fetch(`${srv.url}/api/v1/models`)).json()) as {
      models: { key: string; loaded_instances: unknown[] }[]
    }
    expect(v1.models.find((m) => m.key === SMOL_KEY)?.loaded_instances).toEqual(
      [],
    )
  })

  it('shows the live request log and stats', async () => {
    await open('server')
    await page.waitForFunction(() =>
      document
        .querySelector('[aria-label="Request log"] h2')
        ?.textContent?.includes('live'),
    )
    await fetch(`${srv.url}/v1/models`)
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[data-testid="log-rows"] tr')].some((tr) =>
        tr.textContent?.includes('GET /v1/models'),
      ),
    )
    // the counters the page shows come from /api/v1/stats
    const s = (await (await fetch(`${srv.url}/api/v1/stats`)).json()) as {
      requests: { total: number; errors: number }
      tokens: { prompt: number; completion: number; cached: number }
      decodeSeconds: number
      memory: { weightsBytes: number; budgetBytes: number; rssBytes: number }
    }
    expect(s.requests.total).toBeGreaterThan(5)
    // the schema the server rejected earlier is one 4xx
    expect(s.requests.errors).toBeGreaterThanOrEqual(1)
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
    await open('hive')
    await page.waitForSelector('[aria-label="Hive devices"] [role="status"]')
    expect(
      await textOf(page, '[aria-label="Hive devices"] [role="status"]'),
    ).toMatch(/not part of a hive/)
    await screenshot(page, 'hive')
  })

  it('ran without page errors or CSP violations', () => {
    expect(problems).toEqual([])
  })
})
