import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import type { Page } from 'playwright-core'
import { binarySkip, requireBinary } from './services.js'

/**
 * Debian's Chromium, installed by `.ci/run` (`apt-get install chromium`); PLEXUS_CHROMIUM names
 * another build (and lets a test show the browser tests skip when it is absent).
 */
export const CHROMIUM = process.env['PLEXUS_CHROMIUM'] ?? '/usr/bin/chromium'

/** The flags this machine needs: no sandbox as root, no GPU, no calls home (closed network). */
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking']

/**
 * A `skip` value for a browser test: the reason when Chromium is absent, false when it is
 * present or when PLEXUS_REQUIRE_SERVICES=1 (then `openChromium` fails instead of skipping).
 */
export function chromiumSkip(): string | false {
  return binarySkip(CHROMIUM, 'apt-get install chromium')
}

/**
 * Opens a page in headless Chromium with a fresh profile; the browser and its profile are
 * removed when the test ends.
 */
export async function openChromium(t: TestContext): Promise<Page> {
  const executablePath = requireBinary(CHROMIUM)
  const { chromium } = await import('playwright-core')
  const profile = await mkdtemp(join(tmpdir(), 'plexus-chromium-'))
  const removeProfile = () => rm(profile, { recursive: true, force: true, maxRetries: 5 })
  const browser = await chromium
    .launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: FLAGS,
      viewport: { width: 1280, height: 900 },
    })
    .catch(async (error: unknown) => {
      await removeProfile()
      throw error
    })
  // One hook, in this order: node:test runs `after` hooks first-registered first, so a separate
  // removal hook ran while Chromium still wrote to its profile (ENOTEMPTY on a busy machine).
  t.after(async () => {
    await browser.close()
    await removeProfile()
  })
  return browser.pages()[0] ?? (await browser.newPage())
}
