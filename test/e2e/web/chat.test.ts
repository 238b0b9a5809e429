// The Chat view in headless Chromium against the real server and engine
// (SmolLM2; a tiny random SmolVLM for images): a reply that streams in with
// its speed, dark theme and a phone-sized screen, Stop (the server counts
// the generation cancelled), the API's error message, structured output,
// tool calls as cards answered with a result, export, conversations kept
// across a reload, and images dropped on the message box.
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from 'puppeteer-core'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasEncoders } from '../../helpers/encoders.ts'
import { SMOL_KEY } from '../../helpers/realServer.ts'
import { chromiumPath, screenshot, textOf } from './browser.ts'
import { startWebFixture, VLM_KEY, type WebFixture } from './webFixture.ts'

type Stats = { cancelledGenerations: number; completedGenerations: number }
const stats = async () =>
  (await (await fetch(`${f.url}/api/v1/stats`)).json()) as Stats

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

async function send(text: string) {
  await page.type('#message', text)
  await page.keyboard.press('Enter')
}

const lastReply = 'article[data-role="assistant"]:last-of-type'

let f: WebFixture
let page: Page

describe.skipIf(!chromiumPath)('chat view on pocket serve (Chromium)', () => {
  beforeAll(async () => {
    f = await startWebFixture()
    page = f.page
  })
  afterAll(async () => {
    await f?.close()
  })

  it('streams a chat reply and shows its speed', async () => {
    await f.open('chat')
    await pickModel(SMOL_KEY)
    await f.setValue('#max-tokens', '24')
    // seeded sampling: the same replies on every run
    await f.setValue('#seed', '7')
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
    await f.setValue('#max-tokens', '4000')
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
    await f.setValue('#max-tokens', '24')
  })

  it("shows the API's error message", async () => {
    await page.click('#structured')
    await f.setValue(
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

  it('constrains the reply to a JSON schema', async () => {
    await page.click('#structured')
    await f.setValue(
      '#schema',
      '{"type": "object", "properties": {"name": {"type": "string", "maxLength": 12}, "age": {"type": "integer", "minimum": 0, "maximum": 99}}, "required": ["name", "age"], "additionalProperties": false}',
    )
    await f.setValue('#max-tokens', '48')
    await send('Invent a person.')
    await page.waitForSelector(`${lastReply} [data-testid="structured"]`)
    const json = JSON.parse(
      await textOf(page, `${lastReply} [data-testid="structured"]`),
    )
    expect(Object.keys(json).sort()).toEqual(['age', 'name'])
    expect(Number.isInteger(json.age)).toBe(true)
    await page.click('#structured')
  })

  it('shows tool calls as cards and sends the result back', async () => {
    await page.click('#tools-on')
    await page.select('#tool-choice', 'required')
    // greedy and room enough for the call's JSON
    await f.setValue('#temperature', '0')
    await f.setValue('#max-tokens', '96')
    await send('What is the weather in Paris?')
    const card = `${lastReply} [data-testid="tool-call"]`
    await page.waitForSelector(`${card} textarea`)
    expect(await page.$eval(card, (e) => e.getAttribute('aria-label'))).toBe(
      'Tool call get_weather',
    )
    const args = JSON.parse(await textOf(page, `${card} pre`))
    expect(Object.keys(args)).toEqual(['city'])
    await page.$eval(card, (e) => e.scrollIntoView({ block: 'center' }))
    await screenshot(page, 'chat-tools')
    // answer the call; with `auto` the model may now reply in words
    await page.select('#tool-choice', 'auto')
    await page.type(`${card} textarea`, '{"sky": "sunny", "celsius": 21}')
    await page.click(`${card} button[type="submit"]`)
    await page.waitForSelector('article[data-role="tool"]')
    await page.waitForFunction(
      () =>
        document
          .querySelector(
            'article[data-role="tool"] ~ article[data-role="assistant"]',
          )
          ?.querySelector('[data-testid="reply-stats"]') != null,
    )
    const after = 'article[data-role="tool"] ~ article[data-role="assistant"]'
    expect(await page.$(`${after} [role="alert"]`)).toBeNull()
    await page.click('#tools-on')
  })

  it('exports the conversation as JSON', async () => {
    const cdp = await page.createCDPSession()
    await cdp.send('Browser.setDownloadBehavior', {
      behavior: 'allow',
      downloadPath: f.dir,
    })
    await page.click('button[aria-label="Export this conversation as JSON"]')
    let file: string | undefined
    for (let i = 0; i < 50 && !file; i++) {
      file = (await readdir(f.dir)).find((f) => /^chat-.*\.json$/.test(f))
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(file).toBeTruthy()
    const doc = JSON.parse(await readFile(join(f.dir, file as string), 'utf8'))
    expect(doc.format).toBe('pocket-chat/1')
    const roles = doc.conversation.messages.map((m: { role: string }) => m.role)
    expect(roles.slice(0, 2)).toEqual(['user', 'assistant'])
    expect(roles).toContain('tool')
    await cdp.detach()
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
    await f.open('chat')
    await pickModel(VLM_KEY)
    const n = 32
    const raw = Buffer.alloc(n * n * 3)
    for (let i = 0; i < n * n; i++)
      raw.set([i % 256, 255 - (i % 256), 90], i * 3)
    const png = join(f.dir, 'dots.png')
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
    await f.setValue('#max-tokens', '6')
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

  it('ran without page errors or CSP violations', () => {
    expect(f.problems).toEqual([])
  })
})
