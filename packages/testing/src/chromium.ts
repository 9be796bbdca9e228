import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import type { Page } from 'playwright-core'

/** Debian's Chromium, installed by `.ci/run` (`apt-get install chromium`). */
export const CHROMIUM = '/usr/bin/chromium'

/** The flags this machine needs: no sandbox as root, no GPU, no calls home (closed network). */
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking']

/**
 * A `skip` value for a browser test: the reason when Chromium is absent, false when it is
 * present or when PLEXUS_REQUIRE_SERVICES=1 (then `openChromium` fails instead of skipping).
 */
export function chromiumSkip(): string | false {
  if (existsSync(CHROMIUM) || process.env['PLEXUS_REQUIRE_SERVICES'] === '1') return false
  return `${CHROMIUM} is not installed (apt-get install chromium)`
}

/**
 * Opens a page in headless Chromium with a fresh profile; the browser and its profile are
 * removed when the test ends.
 */
export async function openChromium(t: TestContext): Promise<Page> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is required (PLEXUS_REQUIRE_SERVICES=1)`)
  const { chromium } = await import('playwright-core')
  const profile = await mkdtemp(join(tmpdir(), 'plexus-chromium-'))
  t.after(() => rm(profile, { recursive: true, force: true }))
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 900 },
  })
  t.after(() => browser.close())
  return browser.pages()[0] ?? (await browser.newPage())
}
