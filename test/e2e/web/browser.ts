// Headless Chromium for the web app's end-to-end tests: Debian's `chromium`
// package (or CHROMIUM_PATH) driven by puppeteer-core; nothing is
// downloaded. `chromiumPath` is null where no Chromium is installed, and
// the tests skip, saying why.
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import puppeteer, { type Browser, type Page } from 'puppeteer-core'
import sharp from 'sharp'

const CANDIDATES = [
  process.env.CHROMIUM_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
].filter((p): p is string => !!p)

export const chromiumPath: string | null =
  CANDIDATES.find((p) => existsSync(p)) ?? null

if (!chromiumPath)
  console.warn(
    '[test] no Chromium found (apt-get install chromium, or set CHROMIUM_PATH): the web app browser tests are skipped',
  )

export async function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromiumPath as string,
    headless: true,
    // root in CI containers: no sandbox; /dev/shm may be tiny
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--no-default-browser-check',
    ],
  })
}

/** Collects the page's console errors and CSP violations. */
export function watchPage(page: Page): string[] {
  const problems: string[] = []
  page.on('pageerror', (e) =>
    problems.push(`pageerror: ${(e as Error).message}`),
  )
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text()))
      problems.push(`csp: ${m.text()}`)
  })
  return problems
}

export const SCREENSHOTS = join(
  import.meta.dirname,
  '..',
  '..',
  '..',
  'docs',
  'screenshots',
)

/**
 * With POCKET_SCREENSHOTS=1, saves a small palette PNG of the page under
 * docs/screenshots/ (what the README shows); otherwise does nothing.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.POCKET_SCREENSHOTS !== '1') return
  await mkdir(SCREENSHOTS, { recursive: true })
  const raw = await page.screenshot({ type: 'png' })
  await sharp(raw)
    .png({ palette: true, quality: 80, compressionLevel: 9 })
    .toFile(join(SCREENSHOTS, `${name}.png`))
}

/** Text content of the first element matching `selector` ('' if none). */
export const textOf = (page: Page, selector: string) =>
  page.$eval(selector, (e) => e.textContent ?? '').catch(() => '')
