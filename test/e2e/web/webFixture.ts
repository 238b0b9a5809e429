// What the web app's browser tests against `pocket serve` share: the real
// server with the real engine over a temporary hub cache (SmolLM2, a tiny
// random SmolVLM, downloads from a local hub stand-in serving a copy of the
// SmolLM2 file), headless Chromium with one page, and small page helpers.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'puppeteer-core'
import { DownloadJobs } from '../../../src/models/download/DownloadJobs.ts'
import { type HubServer, startHubServer } from '../../helpers/hubServer.ts'
import { smollm2Path } from '../../helpers/models.ts'
import { startRealServer } from '../../helpers/realServer.ts'
import { writeTinyVlm } from '../../helpers/tinyVlm.ts'
import { launchBrowser, watchPage } from './browser.ts'
import { ensureWebBuilt } from './buildWeb.ts'

export const VLM_KEY = 'pocket-test/tiny-smolvlm'
export const MIRROR_KEY = 'mirror/SmolLM2-Mirror-GGUF'

export type WebFixture = {
  url: string
  page: Page
  /** A temporary folder, removed by close(). */
  dir: string
  /** Page errors and CSP violations seen so far. */
  problems: string[]
  open(route: string): Promise<void>
  /** Sets an input's value as typing would (one input event). */
  setValue(selector: string, value: string): Promise<void>
  close(): Promise<void>
}

export async function startWebFixture(): Promise<WebFixture> {
  ensureWebBuilt()
  const dir = await mkdtemp(join(tmpdir(), 'pocket-web-'))
  let hub: HubServer | undefined
  let srv: Awaited<ReturnType<typeof startRealServer>> | undefined
  let browser: Browser | undefined
  const close = async () => {
    await browser?.close()
    await srv?.close()
    await hub?.close()
    await rm(dir, { recursive: true, force: true })
  }
  try {
    hub = await startHubServer([
      {
        id: MIRROR_KEY,
        sha: 'e'.repeat(40),
        files: [
          {
            path: 'SmolLM2-135M-Instruct.Q4_1.gguf',
            content: await readFile(smollm2Path()),
            lfs: true,
          },
        ],
      },
    ])
    const hubUrl = hub.url
    srv = await startRealServer(
      (hubDir) => ({
        downloads: new DownloadJobs({
          hubUrl,
          cacheDir: hubDir,
          offline: false,
        }),
      }),
      async (hubDir) => {
        const repo = join(hubDir, 'models--pocket-test--tiny-smolvlm')
        await mkdir(join(repo, 'refs'), { recursive: true })
        await writeFile(join(repo, 'refs', 'main'), 'r1')
        writeTinyVlm(join(repo, 'snapshots', 'r1'), 'idefics3')
      },
    )
    browser = await launchBrowser()
    const page = await browser.newPage()
    await page.setViewport({ width: 1200, height: 760 })
    const problems = watchPage(page)
    const url = srv.url
    return {
      url,
      page,
      dir,
      problems,
      open: async (route) => {
        await page.goto(`${url}/#/${route}`, { waitUntil: 'load' })
      },
      setValue: async (selector, value) => {
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
      },
      close,
    }
  } catch (error) {
    await close()
    throw error
  }
}
